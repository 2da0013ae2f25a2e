import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Queue } from 'bullmq';
import { SluiceError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Collection, DocumentRecord, SearchHit, Tenant } from '../core/types.js';
import { createCachingEmbedder } from '../embedders/caching-embedder.js';
import { createMetrics, type EmbedderCallOutcome, type Metrics } from '../metrics/create-metrics.js';
import { checkCollectionName } from '../core/collection-name.js';
import type { BlobStore, DocumentFilter, Embedder, EventBus, JobQueue, Logger, Store } from '../ports/index.js';
import type { ObjectSource } from '../ports/object-source.js';
import type { RetryableState, ScanReport } from '../ports/store.js';
import { sweep, startSweeper, type RetentionSettings, type SweepReport } from '../services/collect-garbage.js';
import { deleteCollection, deleteDocument, deleteTenant } from '../services/delete-data.js';
import { cancelDocument, retryDocuments } from '../services/document-actions.js';
import { submitFiles, type SubmitFilesInput, type SubmitOutcome } from '../services/ingest-service.js';
import { startScan, type ScanInput } from '../services/scan-source.js';
import { searchCollection, type SearchRequest } from '../services/search-service.js';
import { createDispatcher, type Dispatcher } from '../services/dispatch-documents.js';
import { assertWithinQuota } from '../services/tenant-quota.js';
import { getSystemStatus, type SystemStatus } from '../services/system-status.js';
import { createWorkerRuntime, recordLostJob, workersLiveWithinMs } from '../services/worker-runtime.js';
import { createWriterGate } from '../store/sqlite/writer-gate.js';
import type { SluiceConfig } from './config.js';
import { createAdapters } from './create-adapters.js';
import { createBlobStore } from './create-blob-store.js';
import { createEmbedder } from './create-embedder.js';
import { createLogger } from './create-logger.js';
import { openSource } from './open-source.js';
import { applyHeapGrowth } from '../runtime/heap-growth.js';
import { createWork, type Work } from './create-work.js';
import { createWorkerThreadHost } from './worker-thread-host.js';

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
  /** How recently a worker must have sent a heartbeat to count as live: three missed beats. */
  workersLiveWithinMs: number;
  defaultTenant(): Promise<Tenant>;
  /** Collection by name, created (and pinned to this embedder) if new. */
  ensureCollection(tenantId: string, name: string): Promise<Collection>;
  /** A source's objects (an `s3://bucket/prefix/` address), once the bucket answers; close it after use. */
  openSource(url: string): Promise<ObjectSource>;
  /**
   * Starts a scan of a source into a batch (see `startScan`); the tenant's quota applies page by page,
   * and closing the app interrupts it. `finished` settles when it ends.
   */
  scanSource(
    input: Omit<ScanInput, 'objects' | 'maxFileBytes' | 'beforeReading'>,
  ): Promise<{ report: ScanReport; finished: Promise<ScanReport> }>;
  /** Adds files to a batch (see submitFiles); the configured size limit applies. */
  submit(
    input: Omit<SubmitFilesInput, 'maxFileBytes'>,
    onSubmitted?: (outcome: SubmitOutcome) => void,
  ): Promise<SubmitOutcome[]>;
  search(collection: Collection, request: SearchRequest): Promise<SearchHit[]>;
  cancel(documentId: string): Promise<DocumentRecord | undefined>;
  retry(filter: DocumentFilter & { state: RetryableState }): Promise<DocumentRecord[]>;
  deleteDocument(documentId: string): Promise<boolean>;
  deleteCollection(collectionId: string): Promise<boolean>;
  deleteTenant(tenantId: string): Promise<boolean>;
  /**
   * Sweeps now (see `collect-garbage.ts`): raw files nothing refers to, bookkeeping past retention,
   * dead uploads' staging files, and with `compact` the database's leftovers of deleted rows.
   * Undefined if another process is sweeping.
   */
  sweep(options?: { compact?: boolean }): Promise<SweepReport | undefined>;
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
 * How far a thread that answers uploads lets SQLite's write-ahead log grow before its own commit copies
 * it back (40 MB of 4 kB pages, against SQLite's 1,000). The ingesting writer's commits cross SQLite's
 * mark first and checkpoint; an upload's commit no longer does, and the `202`'s p99 and slowest answers
 * are lower (`bench/upload-latency.js`, measured in BENCH.md).
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
    ...(options.servesRequests === true && (inThread || !config.workers)
      ? { walAutocheckpointPages: servingCheckpointPages }
      : {}),
  });
  const { store, events } = adapters;
  // The AWS SDK reads its own variables too; these say whether the bucket is another provider's.
  const blobs = await createBlobStore(config, process.env);
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
  const work: Work | undefined = thread
    ? undefined
    : await createWork(
        config,
        { store, blobs, embedder, events, logger, queue },
        workerIdentity.id,
        options.servesRequests === true,
      );
  const dispatcher = createDispatcher({ store, queue }, { defaultMaxInFlight: config.tenantMaxInFlight });
  const quotaDefaults = {
    maxDocuments: config.tenantMaxDocuments,
    maxBytes: config.tenantMaxBytes,
    maxChunks: config.tenantMaxChunks,
  };
  const actions = { store, queue, events, dispatcher, blobs, logger };
  const hours = (h: number): number => h * 3_600_000;
  const retention: RetentionSettings = {
    eventsMs: hours(config.retainEventsHours),
    idempotencyMs: hours(config.retainIdempotencyHours),
    batchesMs: hours(config.retainBatchesHours),
    stagingMaxAgeMs: hours(config.stagingMaxAgeHours),
  };
  let sweeper: ReturnType<typeof startSweeper> | undefined;
  const runtime = work
    ? createWorkerRuntime(
        { store, queue, events, logger, dispatcher, processor: work.processor },
        { identity: workerIdentity, concurrency: config.concurrency, lockDurationMs: config.lockDurationMs },
      )
    : undefined;
  adapters.onJobLost(recordLostJob({ store, events, logger, dispatcher }));
  let closed = false;
  let threadStarted = false;
  /** Scans running in this process, to interrupt on close. */
  const scans = new Map<AbortController, Promise<unknown>>();

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
      return threadStarted || runtime?.started === true;
    },
    defaultTenant: () => store.ensureTenant(defaultTenantName),
    async ensureCollection(tenantId, name) {
      // Collections named before names were checked keep working.
      if (!(await store.getCollectionByName(tenantId, name))) {
        checkCollectionName(name);
      }
      return store.ensureCollection(tenantId, name, embedder.spec);
    },
    openSource: (url) => openSource(config, url),
    async scanSource(input) {
      const objects = await openSource(config, input.source.url);
      const stop = new AbortController();
      try {
        const started = await startScan(actions, {
          ...input,
          objects,
          maxFileBytes: config.maxFileBytes,
          signal: input.signal ? AbortSignal.any([input.signal, stop.signal]) : stop.signal,
          beforeReading: (changed) =>
            assertWithinQuota(store, input.collection.tenantId, quotaDefaults, {
              documents: changed.length,
              bytes: changed.reduce((sum, o) => sum + o.sizeBytes, 0),
            }),
        });
        const finished = started.finished.finally(() => {
          scans.delete(stop);
          objects.close();
        });
        scans.set(stop, finished);
        return { report: started.report, finished };
      } catch (error) {
        objects.close();
        throw error;
      }
    },
    async submit(input, onSubmitted) {
      const bytes = input.files.reduce((sum, file) => sum + file.sizeBytes, 0);
      await assertWithinQuota(store, input.collection.tenantId, quotaDefaults, {
        documents: input.files.length,
        bytes,
      });
      return submitFiles(
        { store, blobs, queue, events, logger, dispatcher },
        { ...input, maxFileBytes: config.maxFileBytes },
        onSubmitted,
      );
    },
    search: (collection, request) => searchCollection({ store, embedder }, collection, request),
    cancel: (documentId) => cancelDocument(actions, documentId),
    retry: (filter) => retryDocuments(actions, filter),
    deleteDocument: (documentId) => deleteDocument(actions, documentId),
    deleteCollection: (collectionId) => deleteCollection(actions, collectionId),
    deleteTenant: (tenantId) => deleteTenant(actions, tenantId),
    sweep: (options = {}) => sweep(actions, retention, { holder: workerIdentity.id, ...options }),
    // A worker of this pid under another id is taken for this process's previous life, unless it is
    // the worker thread's.
    status: () =>
      getSystemStatus(
        { store, queue },
        { liveWithinMs: workersLiveWithinMs, self: thread ? thread.workerId : workerIdentity.id },
      ),
    workerId: workerIdentity.id,
    workersLiveWithinMs,
    async startWorkers(options = {}) {
      if (thread) {
        // The thread records its own heartbeat and resumes what the ledger holds unfinished.
        const resumed = await thread.start();
        threadStarted = true;
        return resumed;
      }
      // Workers sweep; with a worker thread, the thread's app does.
      sweeper ??= startSweeper(actions, retention, { holder: workerIdentity.id, intervalMs: config.sweepIntervalMs });
      return (runtime as NonNullable<typeof runtime>).start(options);
    },
    async close() {
      if (closed) {
        return;
      }
      closed = true;
      for (const [stop, finished] of scans) {
        stop.abort(new SluiceError('not_ready', 'The process is stopping'));
        await finished.catch(() => undefined);
      }
      runtime?.stop();
      await sweeper?.stop();
      await queue.close(config.shutdownGraceMs);
      await work?.splitter.close?.();
      await runtime?.deregister();
      await adapters.close();
      await store.close();
    },
  };
}
