import type { DocumentMetadata } from '../core/document-metadata.js';
import type { ErrorCode } from '../core/errors.js';
import type { DocumentState } from '../core/states.js';
import type { Batch, DocumentRecord } from '../core/types.js';
import type { IdempotentResponse } from './idempotency-store.js';

export interface RegisterDocumentInput {
  collectionId: string;
  batchId: string;
  source: string;
  sha256: string;
  sizeBytes: number;
  /** Higher runs first. @defaultValue 0 */
  priority?: number;
  /**
   * Replaces the document's metadata (and that of the unchanged document of the same source it finds);
   * absent: a new version keeps what its document had.
   */
  metadata?: DocumentMetadata;
}

/** A file refused before it was stored, and why. */
export type RejectedDocumentInput = Omit<RegisterDocumentInput, 'sha256'> & { code: ErrorCode; message: string };

/**
 * What registering a file did:
 * - `queued`: new content, a job must be enqueued;
 * - `skipped`: the same bytes are already in the collection (`document.duplicateOf` names them);
 * - `pending`: the same source with the same bytes is already waiting or running; nothing new to do.
 */
export type RegisterOutcome =
  /** `replacedSha256`: a new version of its source took over the document, which held these bytes before. */
  | { kind: 'queued'; document: DocumentRecord; replacedSha256?: string }
  | { kind: 'skipped'; document: DocumentRecord }
  | { kind: 'pending'; document: DocumentRecord };

/** A file of an upload: stored under its content hash, or refused before it could be (it is recorded `failed`). */
export type UploadedFileInput = { source: string; sizeBytes: number; metadata?: DocumentMetadata } & (
  { sha256: string } | { refused: { code: ErrorCode; message: string } }
);

export interface RecordUploadInput {
  collectionId: string;
  /** The new batch's label. */
  label: string;
  /** Higher runs first. @defaultValue 0 */
  priority?: number;
  /** In the order they are to be recorded, which dispatch keeps among equals. */
  files: UploadedFileInput[];
  /**
   * Recorded in the same transaction as the batch, as an answer still to be given (status 0, body
   * `{"batch_id":…}`): a retry with this key then finds the batch, whenever the first try stopped.
   */
  idempotency?: { tenantId: string; key: string; fingerprint: string };
}

/** What recording a file of an upload did; `rejected`: it was refused before it was stored. */
export type UploadOutcome = RegisterOutcome | { kind: 'rejected'; document: DocumentRecord };

/**
 * A recorded upload, its outcomes in the order of its files; or, if a request with the same
 * Idempotency-Key was recorded first, that request's answer (nothing was recorded).
 */
export type RecordedUpload =
  { kind: 'recorded'; batch: Batch; outcomes: UploadOutcome[] } | { kind: 'exists'; earlier: IdempotentResponse };

/** Queued documents by what they wait for; times are ISO strings, null when there are none. */
export interface WaitingSummary {
  /** Handed to the queue, waiting for a free worker (since they were handed over). */
  forWorker: { documents: number; oldestSince: string | null };
  /** Waiting for a slot of their tenant's share (since they were recorded). */
  forTenantShare: { documents: number; oldestSince: string | null };
  /** Waiting out a retry backoff (until the earliest retry). */
  retrying: { documents: number; nextRetryAt: string | null };
}

/** What `documentStats` counts, of one tenant or of all. */
export interface DocumentStats {
  byCollection: { tenantId: string; collectionId: string; state: DocumentState; documents: number }[];
  failures: { tenantId: string; code: ErrorCode; documents: number }[];
  /** For each time asked about, in order: documents completed since then, and their chunks. */
  completedSince: { documents: number; chunks: number }[];
  /** Since the first time asked about: documents and chunks completed in each minute that had any (`2026-12-07T13:05`, UTC). */
  perMinute: { minute: string; documents: number; chunks: number }[];
}

export interface DocumentFilter {
  /** Only documents of this tenant's collections. */
  tenantId?: string;
  collectionId?: string;
  batchId?: string;
  documentId?: string;
  state?: DocumentState;
  /** Return documents whose id sorts after this one (cursor pagination). */
  after?: string;
  /** @defaultValue 100 */
  limit?: number;
}

/** The document ledger: what was received, its dedup, its place in the queue, and what it holds now. */
export interface DocumentLedger {
  /** Records a file in a batch; dedup by content hash happens here, atomically. */
  registerDocument(input: RegisterDocumentInput): Promise<RegisterOutcome>;
  /**
   * Records an upload in one transaction: a new batch with a document for each file (each registered
   * as `registerDocument` does, refused ones as `recordRejected`), and its Idempotency-Key if any. A
   * crash leaves all of it or none of it.
   */
  recordUpload(input: RecordUploadInput): Promise<RecordedUpload>;
  /** Records a file refused before it was stored (too large, unreadable) as a `failed` document of the batch. */
  recordRejected(input: RejectedDocumentInput): Promise<DocumentRecord>;
  getDocument(id: string): Promise<DocumentRecord | undefined>;
  listDocuments(filter: DocumentFilter): Promise<DocumentRecord[]>;
  /** Documents not in a terminal state: what a restarted worker must resume. */
  listUnfinished(): Promise<DocumentRecord[]>;
  /**
   * Unfinished documents handed to the queue (queued and dispatched, or running), by id after `after`,
   * `limit` at most: what reconciliation compares with the queue, a page at a time, read through an
   * index of those documents alone, however many wait for their tenant's turn.
   */
  listInFlight(page: { after?: string; limit: number }): Promise<DocumentRecord[]>;
  /**
   * Fair scheduling, in one atomic step: marks queued documents of the tenant as handed to the queue,
   * while fewer than `maxInFlight` of its documents are handed over and unfinished (0: no limit), and
   * returns them with their turn (how many of the tenant's documents were in flight before each). They
   * are taken by priority, then in turns across the tenant's batches: the first waiting file of every
   * batch, then the second, so a small batch is not stuck behind a large one. With `minFree`, nothing
   * is handed over until that many slots are free (unless none is in flight), so refills come in bulk.
   */
  dispatch(
    tenantId: string,
    options: { maxInFlight: number; minFree?: number },
  ): Promise<{ documentId: string; turn: number }[]>;
  /** Tenants that have queued documents not yet handed to the queue. */
  listTenantsAwaitingDispatch(): Promise<string[]>;
  /**
   * Where a queued document stands in what it waits for (1 is next): among documents handed to the
   * queue and ready, by turn then hand-over time; or, while it waits for its tenant's share, among the
   * tenant's waiting documents in dispatch order. Undefined if it is not queued or waits for a retry.
   */
  queuePosition(documentId: string): Promise<number | undefined>;
  /** Documents a worker holds now (parsing to indexing). */
  listRunning(): Promise<DocumentRecord[]>;
  /** Queued documents by what they wait for, each with the oldest one's waiting start, for status. */
  summarizeWaiting(): Promise<WaitingSummary>;

  /**
   * Removes a document and its skipped copies with their chunks, vectors, full text and events (which
   * name their files); settle the copies that wait for it first (`settleCopies`).
   */
  deleteDocument(documentId: string): Promise<boolean>;
  /** Documents per state, for metrics. */
  countDocumentsByState(): Promise<Partial<Record<DocumentState, number>>>;
  /** Documents completed at or after `since`, for throughput. */
  countCompletedSince(since: Date): Promise<number>;
  /** Documents by collection and state, failures by code, and completions since each time, of a tenant or (undefined) all. */
  documentStats(tenantId: string | undefined, since: readonly Date[]): Promise<DocumentStats>;
}
