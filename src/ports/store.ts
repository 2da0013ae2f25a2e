import type { BlobReferences } from './blob-references.js';
import type { ChunkIndex } from './chunk-index.js';
import type { ChunkStaging } from './chunk-staging.js';
import type { CollectionStore } from './collection-store.js';
import type { DocumentLedger } from './document-ledger.js';
import type { DocumentTransitions } from './document-transitions.js';
import type { EmbeddingCache } from './embedding-cache.js';
import type { EventLog } from './event-log.js';
import type { Housekeeping } from './housekeeping.js';
import type { IdempotencyStore } from './idempotency-store.js';
import type { SourceStore } from './source-store.js';
import type { TenancyStore } from './tenancy-store.js';
import type { WorkerRegistry } from './worker-registry.js';

export type { BlobReferences, BlobScope } from './blob-references.js';
export type { ChunkIndex } from './chunk-index.js';
export type { ChunkStaging } from './chunk-staging.js';
export type { CollectionStats, CollectionStore } from './collection-store.js';
export type {
  DocumentFilter,
  DocumentStats,
  DocumentLedger,
  RegisterDocumentInput,
  RegisterOutcome,
  WaitingSummary,
} from './document-ledger.js';
export type { DocumentTransitions, PartialCompletion } from './document-transitions.js';
export type { EmbeddingCache } from './embedding-cache.js';
export type { EventLog } from './event-log.js';
export type { CompactReport, Housekeeping, PruneCounts, RetentionCutoffs, SweepReport } from './housekeeping.js';
export type { IdempotencyStore, IdempotentResponse } from './idempotency-store.js';
export type { CreateSourceInput, ScanReport, SourceRecord, SourceStore } from './source-store.js';
export type { CreateApiKeyInput, RevokeApiKeyOutcome, TenancyStore } from './tenancy-store.js';
export type { WorkerInfo, WorkerRegistry } from './worker-registry.js';
export type { RetryableState } from '../core/states.js';

/**
 * Everything a backend stores, one role per port: each backend implements them all over one database,
 * and callers ask for the roles they use (`Pick`, or the role's own port).
 */
export interface Store
  extends
    TenancyStore,
    CollectionStore,
    DocumentLedger,
    DocumentTransitions,
    ChunkIndex,
    ChunkStaging,
    EventLog,
    EmbeddingCache,
    WorkerRegistry,
    IdempotencyStore,
    BlobReferences,
    SourceStore,
    Housekeeping {
  /** Answers when the store can serve reads and writes; throws otherwise. */
  ping(): Promise<void>;

  close(): Promise<void>;
}
