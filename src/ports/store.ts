import type { ErrorCode } from '../core/errors.js';
import type { DocumentState, RetryableState } from '../core/states.js';
import type { SluiceEvent, StoredEvent } from './event-bus.js';
import type {
  ApiKeyRecord,
  Batch,
  BatchProgress,
  Collection,
  DocumentRecord,
  EmbeddedChunk,
  EmbedderSpec,
  SearchHit,
  Tenant,
  TenantLimits,
  TenantUsage,
} from '../core/types.js';

export interface RegisterDocumentInput {
  collectionId: string;
  batchId: string;
  source: string;
  sha256: string;
  sizeBytes: number;
  /** Higher runs first. @defaultValue 0 */
  priority?: number;
}

/**
 * What registering a file did:
 * - `queued`: new content, a job must be enqueued;
 * - `skipped`: the same bytes are already in the collection (`document.duplicateOf` names them);
 * - `pending`: the same source with the same bytes is already waiting or running; nothing new to do.
 */
export type RegisterOutcome =
  | { kind: 'queued'; document: DocumentRecord }
  | { kind: 'skipped'; document: DocumentRecord }
  | { kind: 'pending'; document: DocumentRecord };

export type { RetryableState } from '../core/states.js';

/** A publish without some chunks: the document ends `completed_with_errors`, naming them and why. */
export interface PartialCompletion {
  /** All chunks of the document, published or not. */
  chunksTotal: number;
  failedChunks: number[];
  code: ErrorCode;
  message: string;
}

/** Queued documents by what they wait for; times are ISO strings, null when there are none. */
export interface WaitingSummary {
  /** Handed to the queue, waiting for a free worker (since they were handed over). */
  forWorker: { documents: number; oldestSince: string | null };
  /** Waiting for a slot of their tenant's share (since they were recorded). */
  forTenantShare: { documents: number; oldestSince: string | null };
  /** Waiting out a retry backoff (until the earliest retry). */
  retrying: { documents: number; nextRetryAt: string | null };
}

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  lastSeenAt: string;
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

export interface CreateApiKeyInput {
  tenantId: string;
  /** SHA-256 of the secret (`hashApiKey`). */
  keyHash: string;
  /** The first characters of the secret after `sk_`, shown to tell keys apart. */
  prefix: string;
  admin: boolean;
  name?: string | null;
  /** ISO time from which the key no longer authenticates; absent or null: never. */
  expiresAt?: string | null;
}

/**
 * What revoking a key did:
 * - `revoked`: this call revoked it;
 * - `already_revoked`: it was revoked before (`key.revokedAt` says when); nothing changed;
 * - `last_admin`: refused, it is the last active admin key of the deployment; nothing changed.
 */
export type RevokeApiKeyOutcome =
  | { kind: 'revoked'; key: ApiKeyRecord }
  | { kind: 'already_revoked'; key: ApiKeyRecord }
  | { kind: 'last_admin'; key: ApiKeyRecord };

/** An answer recorded under an Idempotency-Key. */
export interface IdempotentResponse {
  status: number;
  body: string;
  /** Whatever the caller computed from the request it first answered; '' for answers recorded before fingerprints were kept. */
  fingerprint: string;
}

/** Fenced writes: each takes the attempt id handed out by `claim` and does nothing if it is stale. */
export interface Store {
  /** Answers when the store can serve reads and writes; throws otherwise. */
  ping(): Promise<void>;

  /** Creates the tenant or returns it. */
  ensureTenant(name: string): Promise<Tenant>;
  getTenant(id: string): Promise<Tenant | undefined>;
  /** Replaces a tenant's own limits (null: the deployment's default). */
  setTenantLimits(id: string, limits: TenantLimits): Promise<Tenant | undefined>;
  /** What the tenant holds now, for its quotas. */
  getTenantUsage(id: string): Promise<TenantUsage>;
  /**
   * Stores a key by its hash and its non-secret prefix.
   * @remarks The secret itself must never reach the store.
   */
  createApiKey(input: CreateApiKeyInput): Promise<ApiKeyRecord>;
  /**
   * The key with this hash, if it may authenticate now.
   * @remarks Must leave out revoked keys and keys whose expiry has passed, compared with the clock at
   * the time of the call, and must not cache: a revoked key fails on the very next request, on every
   * process that shares the store.
   */
  findApiKey(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** Any key by id, whatever its state. */
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** A tenant's keys, or every key when `tenantId` is omitted, oldest first; revoked and expired ones included. */
  listApiKeys(tenantId?: string): Promise<ApiKeyRecord[]>;
  /**
   * Revokes a key; undefined if there is no key with that id.
   * @remarks Must be idempotent: revoking a revoked key changes nothing and answers `already_revoked`
   * with the first revocation time. With `keepAnAdmin`, the check that another active admin key exists
   * and the revocation must be one atomic step, so that two concurrent revocations cannot remove the
   * last two admin keys.
   */
  revokeApiKey(id: string, options?: { keepAnAdmin?: boolean }): Promise<RevokeApiKeyOutcome | undefined>;
  /**
   * Records that the key was used now.
   * @remarks Must never move `lastUsedAt` backwards (uses recorded by several processes may land out of order).
   */
  recordApiKeyUse(id: string): Promise<void>;
  /** All keys ever made, whatever their state (zero means a fresh deployment). */
  countApiKeys(): Promise<number>;

  /** Creates the collection or returns it; throws `embedder_mismatch` if it exists pinned to another embedder. */
  ensureCollection(tenantId: string, name: string, embedder: EmbedderSpec): Promise<Collection>;
  getCollectionByName(tenantId: string, name: string): Promise<Collection | undefined>;
  getCollection(id: string): Promise<Collection | undefined>;
  listCollections(tenantId: string): Promise<Collection[]>;
  /**
   * Swaps the names of two collections of a tenant in one step, so readers that look a collection up
   * by name move from one to the other at once (used to publish a reindexed collection).
   */
  swapCollectionNames(tenantId: string, a: string, b: string): Promise<void>;
  /** Sets whether the collection publishes documents some of whose chunks failed for good. */
  setCollectionPartialSuccess(id: string, partialSuccess: boolean): Promise<Collection | undefined>;
  /** Removes the collection with its batches, documents, chunks, vectors and full text. */
  deleteCollection(id: string): Promise<boolean>;

  createBatch(collectionId: string, label: string): Promise<Batch>;
  getBatch(id: string): Promise<Batch | undefined>;
  /** Newest first; only the tenant's batches when `tenantId` is given. */
  listBatches(limit: number, tenantId?: string): Promise<Batch[]>;
  getBatchProgress(id: string): Promise<BatchProgress | undefined>;

  /** Records a file in a batch; dedup by content hash happens here, atomically. */
  registerDocument(input: RegisterDocumentInput): Promise<RegisterOutcome>;
  /** Records a file refused before it was stored (too large, unreadable) as a `failed` document of the batch. */
  recordRejected(input: Omit<RegisterDocumentInput, 'sha256'> & { code: ErrorCode; message: string }): Promise<DocumentRecord>;
  getDocument(id: string): Promise<DocumentRecord | undefined>;
  listDocuments(filter: DocumentFilter): Promise<DocumentRecord[]>;
  /** Documents not in a terminal state: what a restarted worker must resume. */
  listUnfinished(): Promise<DocumentRecord[]>;
  /**
   * Fair scheduling, in one atomic step: marks queued documents of the tenant as handed to the queue,
   * while fewer than `maxInFlight` of its documents are handed over and unfinished (0: no limit), and
   * returns them with their turn (how many of the tenant's documents were in flight before each). They
   * are taken by priority, then in turns across the tenant's batches: the first waiting file of every
   * batch, then the second, so a small batch is not stuck behind a large one. With `minFree`, nothing
   * is handed over until that many slots are free (unless none is in flight), so refills come in bulk.
   */
  dispatch(tenantId: string, options: { maxInFlight: number; minFree?: number }): Promise<{ documentId: string; turn: number }[]>;
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
   * Starts an attempt: moves a non-terminal document to `parsing`, counts the attempt and fences all
   * earlier attempts out (and counts it in flight, if it was not). Returns undefined if the document is
   * terminal or gone.
   */
  claim(documentId: string, attemptId: string, workerId?: string): Promise<DocumentRecord | undefined>;
  /** Moves a running attempt to another stage, optionally with chunk progress. */
  setStage(
    documentId: string,
    attemptId: string,
    state: DocumentState,
    progress?: { chunksTotal: number; chunksEmbedded: number },
  ): Promise<boolean>;
  /**
   * Adds batch `batch`'s `count` chunks to the running attempt's embedded count in one atomic step
   * (batches of one document finish concurrently, on any worker). Each batch counts once per attempt:
   * a batch delivered twice (its worker stalled, another took it over, then the first woke up) does
   * not move progress again. Returns the progress, or undefined if the attempt is stale.
   */
  recordEmbedded(
    documentId: string,
    attemptId: string,
    batch: number,
    count: number,
  ): Promise<{ chunksTotal: number; chunksEmbedded: number } | undefined>;
  /**
   * Publishes the attempt's chunks and marks the document completed, in one atomic step: the chunks
   * of any earlier version of the document are replaced, and readers never see a partial set.
   * @remarks must be idempotent: a stale attempt writes nothing and returns false.
   */
  complete(documentId: string, attemptId: string, mediaType: string, chunks: EmbeddedChunk[], partial?: PartialCompletion): Promise<boolean>;
  fail(documentId: string, attemptId: string, code: ErrorCode, message: string): Promise<boolean>;
  /** Puts the document back to `queued` until `availableAt`, keeping the error for display. */
  scheduleRetry(documentId: string, attemptId: string, code: ErrorCode, message: string, availableAt: Date): Promise<boolean>;
  /** Cancels a non-terminal document; returns it, or undefined if it was already terminal or gone. */
  cancel(documentId: string): Promise<DocumentRecord | undefined>;
  /** Puts failed (or cancelled) documents back to `queued` with a fresh attempt budget. */
  requeue(filter: DocumentFilter & { state: RetryableState }): Promise<DocumentRecord[]>;

  /** Removes a document with its chunks, vectors and full text (its events stay in the log). */
  deleteDocument(documentId: string): Promise<boolean>;
  /** Documents per state, for metrics. */
  countDocumentsByState(): Promise<Partial<Record<DocumentState, number>>>;
  /** Documents completed at or after `since`, for throughput. */
  countCompletedSince(since: Date): Promise<number>;

  /**
   * Appends to the event log and returns the stored event with its sequence number. A
   * `document.progress` event is stored with the document's counts as they stand when it is logged
   * (appends are serialised), so that concurrent batches, which count and then publish in two steps,
   * never log progress going backwards.
   */
  appendEvent(event: SluiceEvent): Promise<StoredEvent>;
  /** Events of one batch or document after `afterSeq`, oldest first. */
  listEvents(filter: { batchId?: string; documentId?: string; afterSeq: number; limit: number }): Promise<StoredEvent[]>;

  /** Cached vectors of texts (by SHA-256) for one model and dimension; absent ones are left out. */
  getCachedEmbeddings(model: string, dimension: number, textHashes: string[]): Promise<Map<string, Float32Array>>;
  putCachedEmbeddings(model: string, dimension: number, entries: { textHash: string; vector: Float32Array }[]): Promise<void>;

  /** Records that a worker process is alive (insert or refresh). */
  recordWorkerHeartbeat(worker: WorkerInfo): Promise<void>;
  /** Worker processes seen within the last `withinMs`, and forgets those gone for long. */
  listLiveWorkers(withinMs: number): Promise<WorkerInfo[]>;
  removeWorker(id: string): Promise<void>;

  /**
   * The answer first given to a request with this Idempotency-Key, with the fingerprint of that
   * request, if any.
   * @remarks `key` is opaque to the store: callers put in it whatever scopes it (route, target).
   */
  getIdempotentResponse(tenantId: string, key: string): Promise<IdempotentResponse | undefined>;
  /**
   * Records the answer with the fingerprint of the request it answers.
   * @remarks Must be first-writer-wins: returns false, and changes nothing, if an answer is recorded already.
   */
  putIdempotentResponse(tenantId: string, key: string, fingerprint: string, status: number, body: string): Promise<boolean>;

  searchVector(collectionId: string, vector: Float32Array, k: number): Promise<SearchHit[]>;
  searchText(collectionId: string, query: string, k: number): Promise<SearchHit[]>;
  countChunks(collectionId?: string): Promise<number>;

  close(): Promise<void>;
}
