import type { Queue } from 'bullmq';
import type { Collection, DocumentRecord, SearchHit } from '../core/types.js';
import type { McpSettings } from '../mcp/mcp-settings.js';
import type { Metrics } from '../metrics/create-metrics.js';
import type { ObjectSource } from '../ports/object-source.js';
import type { DocumentFilter, RetryableState, ScanReport, Store } from '../ports/store.js';
import type { Dispatcher } from '../services/dispatch-documents.js';
import type { IngestDependencies } from '../services/ingest-service.js';
import type { ScanInput } from '../services/scan-source.js';
import type { SearchRequest } from '../services/search-service.js';
import type { SystemStatus } from '../services/system-status.js';

/** The settings the HTTP layer reads, MCP's at `/mcp` among them. */
export interface ServerSettings extends McpSettings {
  maxFileBytes: number;
  maxRequestBytes: number;
  maxUploadFiles: number;
  rateLimitPerMinute: number;
  authFailuresPerMinute: number;
  bodyTimeoutMs: number;
  trustProxy: boolean;
  sseHeartbeatSeconds: number;
  /** Buckets the API may scan as sources; `*` for any. */
  sourceBuckets: readonly string[];
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
  /** A source's objects, once the bucket answers; close it after use. */
  openSource(url: string): Promise<ObjectSource>;
  /** Starts a scan of a source into a batch; `finished` settles when it ends. */
  scanSource(
    input: Omit<ScanInput, 'objects' | 'maxFileBytes' | 'beforeReading'>,
  ): Promise<{ report: ScanReport; finished: Promise<ScanReport> }>;
  cancel(documentId: string): Promise<DocumentRecord | undefined>;
  retry(filter: DocumentFilter & { state: RetryableState }): Promise<DocumentRecord[]>;
  deleteDocument(documentId: string): Promise<boolean>;
  deleteCollection(collectionId: string): Promise<boolean>;
  deleteTenant(tenantId: string): Promise<boolean>;
  status(): Promise<SystemStatus>;
}
