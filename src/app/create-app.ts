import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import { createFsBlobStore } from '../blobs/fs-blob-store.js';
import { newId } from '../core/ids.js';
import { SluiceError } from '../core/errors.js';
import { documentStateEvent } from '../core/document-events.js';
import type { ChunkerOptions } from '../core/chunker.js';
import { createDocumentProcessor } from '../core/process-document.js';
import type { Collection, DocumentRecord, SearchHit, Tenant } from '../core/types.js';
import { createCachingEmbedder } from '../embedders/caching-embedder.js';
import { createHashEmbedder } from '../embedders/hash-embedder.js';
import { createLocalEmbedder } from '../embedders/local-embedder.js';
import { createOpenAiEmbedder } from '../embedders/openai-embedder.js';
import { createRateLimiter, type RateLimiter } from '../embedders/rate-limiter.js';
import { createRedisRateLimiter } from '../embedders/redis-rate-limiter.js';
import { createMetrics, type EmbedderCallOutcome, type Metrics } from '../metrics/create-metrics.js';
import type { ParserLimits } from '../parsers/create-document-parser.js';
import { createInProcessSplitter } from '../parsers/in-process-splitter.js';
import { createSandboxedSplitter } from '../parsers/sandboxed-splitter.js';
import type { BlobStore, DocumentFilter, DocumentSplitter, Embedder, EventBus, JobHandler, JobQueue, Logger, Store, Tokenizer } from '../ports/index.js';
import type { RetryableState } from '../ports/store.js';
import { cancelDocument, deleteDocument, retryDocuments } from '../services/document-actions.js';
import { submitFiles, type SubmitFilesInput, type SubmitOutcome } from '../services/ingest-service.js';
import { searchCollection, type SearchRequest } from '../services/search-service.js';
import { reconcileQueue } from '../services/reconcile-queue.js';
import { createDispatcher, type Dispatcher } from '../services/dispatch-documents.js';
import { assertWithinQuota } from '../services/tenant-quota.js';
import { findStalledDocuments, getSystemStatus, type SystemStatus } from '../services/system-status.js';
import { createWriterGate } from '../store/sqlite/writer-gate.js';
import type { SluiceConfig } from './config.js';
import { createAdapters } from './create-adapters.js';
import { createLogger } from './create-logger.js';
import { applyHeapGrowth } from './heap-growth.js';
import { createWorkerThreadHost } from './worker-thread-host.js';

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
  /** Hands queued documents to the queue within each tenant's share (fair scheduling). */
  dispatcher: Dispatcher;
  /** Throws `quota_exceeded` if the tenant cannot take this many more documents and bytes. */
  checkQuota(tenantId: string, incoming: { documents: number; bytes: number }): Promise<void>;
  /** The BullMQ queues behind the dashboard at /admin/queues; empty in embedded mode. */
  dashboardQueues: readonly Queue[];
  /** True once this process runs workers. */
  readonly workersStarted: boolean;
  /** The id under which this app's workers record their heartbeat and hold documents. */
  readonly workerId: string;
  defaultTenant(): Promise<Tenant>;
  /** Collection by name, created (and pinned to this embedder) if new. */
  ensureCollection(tenantId: string, name: string): Promise<Collection>;
  /** Adds files to a batch (see submitFiles); the configured size limit applies. */
  submit(input: Omit<SubmitFilesInput, 'maxFileBytes'>, onSubmitted?: (outcome: SubmitOutcome) => void): Promise<SubmitOutcome[]>;
  search(collection: Collection, request: SearchRequest): Promise<SearchHit[]>;
  cancel(documentId: string): Promise<DocumentRecord | undefined>;
  retry(filter: DocumentFilter & { state: RetryableState }): Promise<DocumentRecord[]>;
  deleteDocument(documentId: string): Promise<boolean>;
  /** Live workers, queue depths, documents per state and throughput, across every process. */
  status(): Promise<SystemStatus>;
  /**
   * Starts this process's workers and gives a job to every unfinished document of the ledger that has
   * none (with the in-process queue, that is all of them: resuming after a restart). With
   * `pollLedgerMs`, keeps doing so, which picks up documents recorded by another process.
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
  /** Told of every call to the embedder after the metrics counted it (a worker thread passes them on). */
  onEmbedderCall?: (outcome: EmbedderCallOutcome) => void;
  /** The SQLite writer gate shared with the API's thread (see `store/sqlite/writer-gate.ts`). */
  writerGate?: SharedArrayBuffer;
}

/**
 * The configured embedder. Its rate limits hold for every worker of the process, and with Redis for
 * every process of the deployment (they spend one provider budget).
 */
async function createEmbedder(config: SluiceConfig, redis: Redis | undefined): Promise<Embedder> {
  if (config.embedder === 'hash') {
    return createHashEmbedder({ dimension: config.embedDimension });
  }
  if (config.embedder === 'local') {
    return createLocalEmbedder({ modelPath: config.localModelPath as string, dimension: config.embedDimension });
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
    limiter: createLimiter(config, redis),
    tokenizer: await loadTokenizer(),
  });
}

/**
 * Loaded where tokens are counted in this process only (the OpenAI embedder's budgets, chunking with
 * no parse processes): its rank tables take about 40 MB of a process's memory.
 */
async function loadTokenizer(): Promise<Tokenizer> {
  const { createCl100kTokenizer } = await import('../tokenizers/cl100k-tokenizer.js');
  return createCl100kTokenizer();
}

/** Parses and chunks in this process (`SLUICE_PARSE_PROCESSES=0`); the parsers, too, are loaded only then. */
async function createSplitterInProcess(
  limits: ParserLimits,
  chunker: ChunkerOptions,
): Promise<DocumentSplitter> {
  const { createDocumentParser } = await import('../parsers/create-document-parser.js');
  return createInProcessSplitter(createDocumentParser(limits), await loadTokenizer(), chunker);
}

function createLimiter(config: SluiceConfig, redis: Redis | undefined): RateLimiter {
  const limits = {
    maxConcurrent: config.embedMaxConcurrent,
    requestsPerMinute: config.embedRequestsPerMinute,
    tokensPerMinute: config.embedTokensPerMinute,
  };
  if (!redis || (limits.requestsPerMinute === 0 && limits.tokensPerMinute === 0)) {
    return createRateLimiter(limits);
  }
  // One budget per endpoint and model, as providers count them.
  const endpoint = createHash('sha256').update(`${config.openaiBaseUrl} ${config.embedModel}`).digest('hex').slice(0, 16);
  return createRedisRateLimiter({ redis, key: `${config.redisPrefix}:embed-limit:${endpoint}`, limits });
}

/** What processes documents in this thread: the splitter (parse processes, or parsers here) and the processor. */
interface Work {
  processor: ReturnType<typeof createDocumentProcessor>;
  splitter: DocumentSplitter;
}

async function createWork(
  config: SluiceConfig,
  deps: { store: Store; blobs: BlobStore; embedder: Embedder; events: EventBus; logger: Logger; queue: JobQueue },
  workerId: string,
  options: AppOptions,
): Promise<Work> {
  const limits = { maxFileBytes: config.maxFileBytes, parseTimeoutMs: config.parseTimeoutMs };
  const chunker = { maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap };
  const splitter =
    config.parseProcesses > 0
      ? createSandboxedSplitter({
          ...limits,
          chunker,
          processes: config.parseProcesses,
          maxHeapMb: config.parseMaxHeapMb,
          nice: config.parseNice,
          splitPdfAboveBytes: config.pdfSplitBytes,
          logger: deps.logger,
        })
      : await createSplitterInProcess(limits, {
          ...chunker,
          // Chunking here shares the thread: with a shared queue the worker must also stay responsive,
          // since BullMQ renews job locks from the event loop and a lock that lapses hands the document
          // to another worker.
          ...(options.servesRequests || deps.queue.shared ? { yieldToEventLoop: () => new Promise<void>((resolve) => setImmediate(resolve)) } : {}),
        });
  const processor = createDocumentProcessor(
    { ...deps, splitter, workerId },
    {
      embedBatchSize: config.embedBatchSize,
      maxAttempts: config.maxAttempts,
      backoff: { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs },
    },
  );
  return { processor, splitter };
}

/**
 * How far a thread that answers uploads lets SQLite's write-ahead log grow before its own commit copies
 * it back (40 MB of 4 kB pages, against SQLite's 1,000). The ingesting writer's commits cross SQLite's
 * mark first and checkpoint; an upload's commit no longer does. `bench/upload-latency.js`, six runs
 * each, alternating: the `202`'s p99 41.3–49.1 ms (median 43.9) against 44.4–52.9 (48.3), its slowest
 * 51.8–149.5 (median 61.4) against 96.7–168.1 (122.1).
 */
const servingCheckpointPages = 10_000;

/** The composition root: configuration in, adapters chosen and wired, one context out. */
export async function createApp(config: SluiceConfig, options: AppOptions = {}): Promise<AppContext> {
  mkdirSync(config.dataDir, { recursive: true });
  applyHeapGrowth(options.servesRequests === true, config.heapGrowthPercent);
  const logger = createLogger(config.logLevel);
  // A process that answers requests runs its in-process workers in a thread of their own, whose
  // store lets this one's writes go ahead of its publish slices.
  const inThread = options.servesRequests === true && config.workers && config.workerThread && !config.redisUrl;
  const writerGate = inThread ? createWriterGate().shared : options.writerGate;
  // Handed a gate, this is the worker thread: its writes give way to the API thread's.
  const adapters = await createAdapters(config, logger, {
    ...(writerGate ? { writerGate, yieldToOtherWriters: !inThread } : {}),
    // The API thread leaves checkpoints to the thread or processes that ingest, unless it ingests itself.
    ...(options.servesRequests === true && (inThread || !config.workers) ? { walAutocheckpointPages: servingCheckpointPages } : {}),
  });
  const { store, events } = adapters;
  const blobs = createFsBlobStore(config.blobDir);
  const thread = inThread
    ? createWorkerThreadHost({
        config,
        ...(writerGate ? { writerGate } : {}),
        logger,
        onEvent: (event) => adapters.deliverEvent?.(event),
        onEmbedderCall: (outcome) => metrics.countEmbedderCall(outcome),
        onCrash: async (workerId) => {
          if (workerId) {
            await store.removeWorker(workerId);
          }
        },
      })
    : undefined;
  const queue = thread?.queue ?? adapters.queue;
  const metrics = createMetrics({ store, queue, events });
  // The cache sits outside the metrics, so embedder calls count only what reached the model.
  const counted = metrics.instrumentEmbedder(await createEmbedder(config, adapters.redis), options.onEmbedderCall);
  const embedder = config.embedCache ? createCachingEmbedder(counted, store) : counted;
  const workerIdentity = { id: newId('wrk'), host: hostname(), pid: process.pid, startedAt: new Date().toISOString() };
  // With a worker thread, this thread never parses: no parse processes, parsers or tokenizer here.
  const work = thread ? undefined : await createWork(config, { store, blobs, embedder, events, logger, queue }, workerIdentity.id, options);
  const dispatcher = createDispatcher({ store, queue }, { defaultMaxInFlight: config.tenantMaxInFlight });
  const quotaDefaults = { maxDocuments: config.tenantMaxDocuments, maxBytes: config.tenantMaxBytes, maxChunks: config.tenantMaxChunks };
  const actions = { store, queue, events, dispatcher };
  // A document that leaves the queue frees a slot of its tenant's share: the next one goes in.
  const documentHandler: JobHandler = async (job, signal, fanIn) => {
    const outcome = await (work as Work).processor.document(job, signal, fanIn);
    if (outcome.kind === 'done') {
      const doc = await store.getDocument(job.documentId);
      if (doc) {
        await dispatcher
          .collection(doc.collectionId)
          .catch((error: unknown) => logger.error({ err: error, documentId: doc.id }, 'dispatch after a finished document failed'));
      }
    }
    return outcome;
  };
  let closed = false;
  let workersStarted = false;
  let ledgerPoll: NodeJS.Timeout | undefined;
  // BullMQ failed a job by itself (its worker died mid-job too often): the ledger must say so too.
  adapters.onJobLost((documentId, reason) => {
    void (async () => {
      const doc = await store.getDocument(documentId);
      if (doc?.attemptId) {
        const error = new SluiceError('worker_crashed', `The document's worker stopped without finishing (${reason})`);
        if (await store.fail(doc.id, doc.attemptId, error.code, error.message)) {
          await events.publish(documentStateEvent(doc, 'failed', error));
        }
      }
    })().catch((error: unknown) => logger.error({ err: error, documentId }, 'could not record a lost job'));
  });
  let heartbeat: NodeJS.Timeout | undefined;
  const liveWithinMs = heartbeatMs * 3;
  const stalledDocuments = async (atStart: boolean): Promise<Set<string>> => {
    const { stalled } = await findStalledDocuments(store, { liveWithinMs, self: workerIdentity.id, unknownIsStalled: atStart });
    return new Set(stalled.map((doc) => doc.id));
  };

  return {
    config,
    store,
    blobs,
    queue,
    events,
    embedder,
    logger,
    metrics,
    dispatcher,
    checkQuota: (tenantId, incoming) => assertWithinQuota(store, tenantId, quotaDefaults, incoming),
    dashboardQueues: adapters.dashboardQueues,
    get workersStarted() {
      return workersStarted;
    },
    defaultTenant: () => store.ensureTenant(defaultTenantName),
    ensureCollection: (tenantId, name) => store.ensureCollection(tenantId, name, embedder.spec),
    async submit(input, onSubmitted) {
      const bytes = input.files.reduce((sum, file) => sum + file.sizeBytes, 0);
      await assertWithinQuota(store, input.collection.tenantId, quotaDefaults, { documents: input.files.length, bytes });
      return submitFiles({ store, blobs, queue, events, logger, dispatcher }, { ...input, maxFileBytes: config.maxFileBytes }, onSubmitted);
    },
    search: (collection, request) => searchCollection({ store, embedder }, collection, request),
    cancel: (documentId) => cancelDocument(actions, documentId),
    retry: (filter) => retryDocuments(actions, filter),
    deleteDocument: (documentId) => deleteDocument(actions, documentId),
    // A worker of this pid under another id is taken for this process's previous life, unless it is
    // the worker thread's.
    status: () => getSystemStatus({ store, queue }, { liveWithinMs, self: thread ? thread.workerId : workerIdentity.id }),
    workerId: workerIdentity.id,
    async startWorkers(options = {}) {
      if (thread) {
        // The thread records its own heartbeat and resumes what the ledger holds unfinished.
        const resumed = await thread.start();
        workersStarted = true;
        return resumed;
      }
      queue.start(documentHandler, { concurrency: config.concurrency, batches: (work as Work).processor.batches });
      workersStarted = true;
      const beat = (): Promise<void> =>
        store.recordWorkerHeartbeat({ ...workerIdentity, lastSeenAt: new Date().toISOString() });
      await beat();
      heartbeat = setInterval(() => {
        beat().catch((error: unknown) => logger.error({ err: error }, 'worker heartbeat failed'));
      }, heartbeatMs);
      // A shared queue survives restarts and knows every worker's jobs: only documents it lost need a
      // job, and only once they have been quiet for a while. The in-process queue starts empty: it
      // takes every queued document, and every running one whose worker process is gone (this
      // process's previous life, after a crash; or another process sharing the ledger that died),
      // never one a live process is running. Then every tenant with documents waiting gets its free
      // slots filled, which also picks up any dispatch a process died before making.
      const reconcile = async (atStart: boolean): Promise<DocumentRecord[]> => {
        const orphans = await reconcileQueue(
          { store, queue },
          queue.shared
            ? { settleMs: 3 * config.lockDurationMs, includeRunning: true }
            : { settleMs: 0, includeRunning: false, stalled: await stalledDocuments(atStart) },
        );
        await dispatcher.all();
        return orphans;
      };
      const resumed = (await reconcile(true)).length;
      if (resumed > 0) {
        logger.info({ documents: resumed }, 'resumed unfinished documents');
      }
      const pollMs = options.pollLedgerMs ?? (queue.shared ? 5 * heartbeatMs : undefined);
      if (pollMs) {
        ledgerPoll = setInterval(() => {
          reconcile(false)
            .then((found) => found.length > 0 && logger.info({ documents: found.length }, 'queued documents that had no job'))
            .catch((error: unknown) => logger.error({ err: error }, 'ledger poll failed'));
        }, pollMs);
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
      await queue.close(config.shutdownGraceMs);
      await work?.splitter.close?.();
      if (workersStarted && !thread) {
        await store.removeWorker(workerIdentity.id);
      }
      await adapters.close();
      await store.close();
    },
  };
}
