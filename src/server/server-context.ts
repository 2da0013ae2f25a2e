import type { Queue } from 'bullmq';
import type { Collection, DocumentRecord, SearchHit } from '../core/types.js';
import type { Metrics } from '../metrics/create-metrics.js';
import type { DocumentFilter, RetryableState, Store } from '../ports/store.js';
import type { Dispatcher } from '../services/dispatch-documents.js';
import type { IngestDependencies } from '../services/ingest-service.js';
import type { SearchRequest } from '../services/search-service.js';
import type { SystemStatus } from '../services/system-status.js';

/** The settings the HTTP layer reads. */
export interface ServerSettings {
  maxFileBytes: number;
  maxRequestBytes: number;
  maxUploadFiles: number;
  rateLimitPerMinute: number;
  authFailuresPerMinute: number;
  bodyTimeoutMs: number;
  trustProxy: boolean;
  sseHeartbeatSeconds: number;
}

/**
 * What the server needs of the running service, and nothing more: the composition root hands it one,
 * and the HTTP layer never imports the root itself.
 */
export interface ServerContext extends IngestDependencies {
  config: ServerSettings;
  store: Store;
  metrics: Pick<Metrics, 'registry' | 'uploads' | 'uploadBytes'>;
  dispatcher: Dispatcher;
  /** BullMQ queues for the dashboard at /admin/queues; empty in embedded mode. */
  dashboardQueues: readonly Queue[];
  /** How recently a worker must have sent a heartbeat to count as live, for readiness. */
  workersLiveWithinMs: number;
  /** Throws `quota_exceeded` if the tenant cannot take this many more documents and bytes. */
  checkQuota(tenantId: string, incoming: { documents: number; bytes: number }): Promise<void>;
  /** Collection by name, created (and pinned to this embedder) if new. */
  ensureCollection(tenantId: string, name: string): Promise<Collection>;
  search(collection: Collection, request: SearchRequest): Promise<SearchHit[]>;
  cancel(documentId: string): Promise<DocumentRecord | undefined>;
  retry(filter: DocumentFilter & { state: RetryableState }): Promise<DocumentRecord[]>;
  deleteDocument(documentId: string): Promise<boolean>;
  deleteCollection(collectionId: string): Promise<boolean>;
  deleteTenant(tenantId: string): Promise<boolean>;
  status(): Promise<SystemStatus>;
}
