import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createFsBlobStore } from '../blobs/fs-blob-store.js';
import { newId } from '../core/ids.js';
import { runningStates } from '../core/states.js';
import { createDocumentProcessor } from '../core/process-document.js';
import type { Collection, DocumentRecord, SearchHit, Tenant } from '../core/types.js';
import { createCachingEmbedder } from '../embedders/caching-embedder.js';
import { createHashEmbedder } from '../embedders/hash-embedder.js';
import { createOpenAiEmbedder } from '../embedders/openai-embedder.js';
import { createRateLimiter } from '../embedders/rate-limiter.js';
import { createLedgerEventBus } from '../events/ledger-event-bus.js';
import { createMetrics, type Metrics } from '../metrics/create-metrics.js';
import { createDocumentParser } from '../parsers/create-document-parser.js';
import type { BlobStore, DocumentFilter, Embedder, EventBus, JobQueue, Logger, Store, Tokenizer } from '../ports/index.js';
import { createLocalQueue } from '../queue/local/local-queue.js';
import { cancelDocument, deleteDocument, retryDocuments } from '../services/document-actions.js';
import { submitFiles, type SubmitFilesInput, type SubmitOutcome } from '../services/ingest-service.js';
import { searchCollection, type SearchRequest } from '../services/search-service.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import { createCl100kTokenizer } from '../tokenizers/cl100k-tokenizer.js';
import type { SluiceConfig } from './config.js';
import { createLogger } from './create-logger.js';

/** How often a worker process tells the ledger it is alive; readiness allows three missed beats. */
export const heartbeatMs = 5000;

/** The tenant the CLI acts for, and that `serve` gives its first API key to. */
export const defaultTenantName = 'default';

export interface AppContext {
  config: SluiceConfig;
  store: Store;
  blobs: BlobStore;
  queue: JobQueue;
  events: EventBus;
  embedder: Embedder;
  logger: Logger;
  metrics: Metrics;
  /** True once this process runs workers. */
  readonly workersStarted: boolean;
  defaultTenant(): Promise<Tenant>;
  /** Collection by name, created (and pinned to this embedder) if new. */
  ensureCollection(tenantId: string, name: string): Promise<Collection>;
  /** Adds files to a batch (see submitFiles); the configured size limit applies. */
  submit(input: Omit<SubmitFilesInput, 'maxFileBytes'>, onSubmitted?: (outcome: SubmitOutcome) => void): Promise<SubmitOutcome[]>;
  search(collection: Collection, request: SearchRequest): Promise<SearchHit[]>;
  cancel(documentId: string): Promise<DocumentRecord | undefined>;
  retry(filter: DocumentFilter & { state: 'failed' | 'cancelled' }): Promise<DocumentRecord[]>;
  deleteDocument(documentId: string): Promise<boolean>;
  /**
   * Starts this process's workers and resumes every unfinished document in the ledger. With
   * `pollLedgerMs`, also picks up documents queued later by another process sharing the ledger.
   */
  startWorkers(options?: { pollLedgerMs?: number }): Promise<number>;
  close(): Promise<void>;
}

export interface AppOptions {
  /**
   * The process also answers HTTP requests: CPU-heavy chunking then gives the event loop a turn every
   * few milliseconds, trading some throughput (about a tenth, see BENCH.md) for prompt answers.
   */
  servesRequests?: boolean;
}

/** The configured embedder; one rate limiter per process, shared by all its workers. */
function createEmbedder(config: SluiceConfig, tokenizer: Tokenizer): Embedder {
  if (config.embedder === 'hash') {
    return createHashEmbedder({ dimension: config.embedDimension });
  }
  return createOpenAiEmbedder({
    baseUrl: config.openaiBaseUrl,
    ...(config.openaiApiKey ? { apiKey: config.openaiApiKey } : {}),
    model: config.embedModel,
    dimension: config.embedDimension,
    sendDimensions: config.embedSendDimensions,
    headers: config.embedHeaders,
    timeoutMs: config.embedTimeoutMs,
    maxRetries: config.embedMaxRetries,
    backoff: { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs },
    maxInputTokens: config.embedMaxInputTokens,
    maxTokensPerRequest: config.embedMaxTokensPerRequest,
    maxInputsPerRequest: 2048,
    limiter: createRateLimiter({
      maxConcurrent: config.embedMaxConcurrent,
      requestsPerMinute: config.embedRequestsPerMinute,
      tokensPerMinute: config.embedTokensPerMinute,
    }),
    tokenizer,
  });
}

/** The composition root: configuration in, adapters chosen and wired, one context out. */
export function createApp(config: SluiceConfig, options: AppOptions = {}): AppContext {
  mkdirSync(config.dataDir, { recursive: true });
  const logger = createLogger(config.logLevel);
  const store = createSqliteStore({ path: join(config.dataDir, 'sluice.db') });
  const blobs = createFsBlobStore(join(config.dataDir, 'blobs'));
  const events = createLedgerEventBus(store, (error) => logger.error({ err: error }, 'event listener failed'));
  const queue = createLocalQueue({
    onHandlerError: (error, job) => logger.error({ err: error, documentId: job.documentId }, 'job handler threw'),
  });
  const metrics = createMetrics({ store, queue, events });
  const tokenizer = createCl100kTokenizer();
  // The cache sits outside the metrics, so embedder calls count only what reached the model.
  const counted = metrics.instrumentEmbedder(createEmbedder(config, tokenizer));
  const embedder = config.embedCache ? createCachingEmbedder(counted, store) : counted;
  const parser = createDocumentParser({ maxFileBytes: config.maxFileBytes, parseTimeoutMs: config.parseTimeoutMs });
  const processor = createDocumentProcessor(
    { store, blobs, parser, tokenizer, embedder, events, logger },
    {
      chunker: {
        maxTokens: config.chunkTokens,
        overlapTokens: config.chunkOverlap,
        ...(options.servesRequests ? { yieldToEventLoop: () => new Promise<void>((resolve) => setImmediate(resolve)) } : {}),
      },
      embedBatchSize: config.embedBatchSize,
      maxAttempts: config.maxAttempts,
      backoff: { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs },
    },
  );
  const actions = { store, queue, events };
  let closed = false;
  let workersStarted = false;
  let ledgerPoll: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const workerIdentity = { id: newId('wrk'), host: hostname(), pid: process.pid, startedAt: new Date().toISOString() };

  return {
    config,
    store,
    blobs,
    queue,
    events,
    embedder,
    logger,
    metrics,
    get workersStarted() {
      return workersStarted;
    },
    defaultTenant: () => store.ensureTenant(defaultTenantName),
    ensureCollection: (tenantId, name) => store.ensureCollection(tenantId, name, embedder.spec),
    submit: (input, onSubmitted) =>
      submitFiles({ store, blobs, queue, events, logger }, { ...input, maxFileBytes: config.maxFileBytes }, onSubmitted),
    search: (collection, request) => searchCollection({ store, embedder }, collection, request),
    cancel: (documentId) => cancelDocument(actions, documentId),
    retry: (filter) => retryDocuments(actions, filter),
    deleteDocument: (documentId) => deleteDocument(actions, documentId),
    async startWorkers(options = {}) {
      queue.start(processor, { concurrency: config.concurrency });
      workersStarted = true;
      const beat = (): Promise<void> =>
        store.recordWorkerHeartbeat({ ...workerIdentity, lastSeenAt: new Date().toISOString() });
      await beat();
      heartbeat = setInterval(() => {
        beat().catch((error: unknown) => logger.error({ err: error }, 'worker heartbeat failed'));
      }, heartbeatMs);
      const enqueueFromLedger = async (states: readonly string[]): Promise<number> => {
        const unfinished = (await store.listUnfinished()).filter((doc) => states.includes(doc.state));
        const now = Date.now();
        await queue.enqueue(
          unfinished.map((doc) => ({
            documentId: doc.id,
            priority: doc.priority,
            delayMs: doc.availableAt ? Math.max(0, Date.parse(doc.availableAt) - now) : 0,
          })),
        );
        return unfinished.length;
      };
      const resumed = await enqueueFromLedger(['queued', ...runningStates]);
      if (resumed > 0) {
        logger.info({ documents: resumed }, 'resumed unfinished documents');
      }
      if (options.pollLedgerMs) {
        // Only `queued` rows: running ones belong to a live worker (here or elsewhere) until restart.
        ledgerPoll = setInterval(() => {
          enqueueFromLedger(['queued']).catch((error: unknown) => logger.error({ err: error }, 'ledger poll failed'));
        }, options.pollLedgerMs);
      }
      return resumed;
    },
    async close() {
      if (closed) {
        return;
      }
      closed = true;
      clearInterval(ledgerPoll);
      clearInterval(heartbeat);
      await queue.close();
      if (workersStarted) {
        await store.removeWorker(workerIdentity.id);
      }
      await store.close();
    },
  };
}
