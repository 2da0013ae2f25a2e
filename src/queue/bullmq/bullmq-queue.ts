import { DelayedError, Queue, WaitingChildrenError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type {
  BatchHandler,
  BatchJob,
  DocumentJob,
  FanIn,
  JobHandler,
  JobOutcome,
  JobQueue,
  QueueStats,
  StartOptions,
} from '../../ports/queue.js';
import { batchPayload, decodeBatchResult, documentPayload, encodeBatchResult, type DocumentPayload } from './bullmq-payloads.js';

export interface BullmqQueueOptions {
  /** Creates a Redis connection; BullMQ needs several (commands, blocking reads, pub/sub). */
  connect: () => Redis;
  /** Key prefix in Redis, so that several deployments can share one server. @defaultValue `sluice` */
  prefix?: string;
  /**
   * How long a worker holds a job without renewing its lock; after that (a killed or frozen worker)
   * another worker's stalled check puts the job back. Short, so a crash costs seconds, not minutes.
   * @defaultValue 10000
   */
  lockDurationMs?: number;
  /** How often each worker looks for stalled jobs. @defaultValue 5000 */
  stalledIntervalMs?: number;
  /** Times a job may stall (its worker died) before it is failed for good. @defaultValue 5 */
  maxStalledCount?: number;
  /** Told about a job BullMQ failed on its own (stalled too often, or a dependency kept failing). */
  onJobLost: (documentId: string, reason: string) => void;
  onError: (error: unknown) => void;
}

export const documentQueueName = 'documents';
export const batchQueueName = 'embeddings';
/** Channel on which a cancel reaches whichever process runs the job. */
const cancelChannel = 'sluice:cancel';

/**
 * BullMQ ranks by `priority` ascending (1 first) and runs unprioritised jobs before all others; the
 * port ranks higher first. Every job gets an explicit BullMQ priority so that the order holds.
 */
function toBullPriority(priority = 0): number {
  return Math.min(2_097_151, Math.max(1, 1_000_000 - Math.round(priority)));
}

/** A document's job has the document id as job id; see enqueue for reruns. */
const rerunId = (documentId: string): string => `${documentId}.rerun`;

// Outcomes live in the ledger; Redis keeps only what is in flight (and failures, bounded), so its
// memory stays flat. A handler that throws met a broken dependency (database unreachable), which
// BullMQ retries with backoff; document-level failures are recorded by the handlers themselves.
const jobDefaults = {
  removeOnComplete: true,
  removeOnFail: { count: 1000, age: 7 * 86_400 },
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
} as const;

/**
 * The distributed queue on BullMQ. Job ids are document ids, so enqueueing a document that is
 * already waiting is a no-op in Redis itself. A document's embedding batches fan out as child jobs
 * (a BullMQ flow) on a second queue that every worker takes from; the document's job waits for them
 * without holding a worker, and runs again to publish when the last one is done (fan-in). A retry
 * moves the job to delayed; a cancel is broadcast so that the process running the job aborts it; on
 * shutdown running jobs go back to waiting at once instead of waiting for their lock to expire.
 */
export function createBullmqQueue(options: BullmqQueueOptions): JobQueue & { readonly bullQueues: Queue[] } {
  const prefix = options.prefix ?? 'sluice';
  const commands = options.connect();
  // BullMQ's event streams (for QueueEvents listeners; Sluice's own events go through the ledger)
  // keep 10,000 entries by default, and a batch's `completed` entry carries its result, vectors and
  // all: capped short, so Redis memory stays flat however many documents pass through.
  const documents = new Queue<DocumentPayload>(documentQueueName, { connection: commands, prefix, streams: { events: { maxLen: 1000 } } });
  const batches = new Queue<BatchJob>(batchQueueName, { connection: commands, prefix, streams: { events: { maxLen: 100 } } });
  documents.on('error', options.onError);
  batches.on('error', options.onError);
  /** Running jobs of this process by job id, with the document they work for. */
  const active = new Map<string, { documentId: string; controller: AbortController }>();
  const workers: Worker[] = [];
  const connections: Redis[] = [];
  let subscriber: Redis | undefined;
  let closing = false;
  const shutdownReason = new Error('shutting down');

  const add = (jobs: { job: DocumentJob; id: string }[]) =>
    documents.addBulk(
      jobs.map(({ job, id }) => ({
        name: 'document',
        data: { documentId: job.documentId, ...(job.priority !== undefined ? { priority: job.priority } : {}) },
        opts: {
          ...jobDefaults,
          jobId: id,
          priority: toBullPriority(job.priority),
          ...(job.delayMs ? { delay: job.delayMs } : {}),
        },
      })),
    );

  /** Runs a job's work with an abort signal this process can reach (cancel, shutdown). */
  const tracked = async <T>(job: Job, documentId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    const id = job.id as string;
    active.set(id, { documentId, controller });
    try {
      return await work(controller.signal);
    } finally {
      active.delete(id);
    }
  };
  /** Released rather than finished: another worker picks the job up now, not after its lock expires. */
  const releaseIfShuttingDown = async (job: Job, signal: AbortSignal, token?: string): Promise<void> => {
    if (signal.reason === shutdownReason) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
  };

  /** Results of this attempt's batches that have finished (values of removed children stay with the parent). */
  const finishedBatches = async (job: Job, attemptId: string) => {
    const values = Object.values(await job.getChildrenValues());
    const byBatch = new Map(
      values.map(decodeBatchResult).filter((r) => r.attemptId === attemptId).map((r) => [r.batch, r]),
    );
    return [...byBatch.values()];
  };

  const runDocument = (handler: JobHandler) => async (job: Job<DocumentPayload>, token?: string): Promise<void> => {
    const data = documentPayload.parse(job.data);
    const { fanIn: pending, ...plain } = data;
    const base: DocumentJob = plain;
    await tracked(job, data.documentId, async (signal) => {
      let fanIn: FanIn | undefined;
      if (pending) {
        const results = await finishedBatches(job, pending.attemptId);
        if (results.length >= pending.batches) {
          fanIn = { ...pending, results };
        } else if (await job.moveToWaitingChildren(token as string)) {
          throw new WaitingChildrenError();
        } else {
          // Batches lost (their keys gone with a Redis that kept no data): start the document over.
          await job.updateData(plain);
        }
      }
      for (;;) {
        const outcome: JobOutcome = await handler(base, signal, fanIn);
        await releaseIfShuttingDown(job, signal, token);
        if (outcome.kind === 'done' || signal.aborted) {
          return;
        }
        if (outcome.kind === 'retry') {
          await job.updateData(plain);
          await job.moveToDelayed(Date.now() + outcome.delayMs, token);
          throw new DelayedError();
        }
        const { attemptId, mediaType } = outcome;
        await job.updateData({ ...plain, fanIn: { attemptId, mediaType, batches: outcome.batches.length } });
        await batches.addBulk(
          outcome.batches.map((batch) => ({
            name: 'batch',
            data: batch,
            opts: {
              ...jobDefaults,
              // Deterministic ids: a document job that runs again after a crash adds no duplicates.
              jobId: `${batch.documentId}.${batch.attemptId}.${batch.batch}`,
              priority: toBullPriority(data.priority),
              parent: { id: job.id as string, queue: job.queueQualifiedName },
              failParentOnFailure: true,
            },
          })),
        );
        if (await job.moveToWaitingChildren(token as string)) {
          throw new WaitingChildrenError();
        }
        // Every batch finished before the job could start waiting: fan in right away.
        fanIn = { attemptId, mediaType, batches: outcome.batches.length, results: await finishedBatches(job, attemptId) };
      }
    });
  };

  const runBatch = (handler: BatchHandler) => async (job: Job<BatchJob>, token?: string) => {
    const data = batchPayload.parse(job.data);
    return tracked(job, data.documentId, async (signal) => {
      const result = await handler(data, signal);
      await releaseIfShuttingDown(job, signal, token);
      return encodeBatchResult(result);
    });
  };

  const startWorker = <T>(name: string, processor: (job: Job<T>, token?: string) => Promise<unknown>, concurrency: number) => {
    const connection = options.connect();
    connections.push(connection);
    const worker = new Worker<T>(name, processor, {
      connection,
      prefix,
      concurrency: Math.max(1, concurrency),
      lockDuration: options.lockDurationMs ?? 10_000,
      stalledInterval: options.stalledIntervalMs ?? 5_000,
      maxStalledCount: options.maxStalledCount ?? 5,
    });
    worker.on('error', options.onError);
    worker.on('failed', (job, error) => {
      if (!job) {
        return;
      }
      // Emitted for every failed try; only a job that has run out of tries is lost for good.
      job
        .getState()
        .then((state) => {
          if (state === 'failed') {
            options.onJobLost((job.data as { documentId: string }).documentId, error.message);
          }
        })
        .catch(options.onError);
    });
    workers.push(worker as Worker);
  };

  const counts = async (): Promise<QueueStats> => {
    const kinds = ['waiting', 'prioritized', 'delayed', 'active', 'failed', 'waiting-children'] as const;
    const [d, b] = await Promise.all([documents.getJobCounts(...kinds), batches.getJobCounts(...kinds)]);
    const sum = (kind: (typeof kinds)[number]): number => (d[kind] ?? 0) + (b[kind] ?? 0);
    return {
      waiting: sum('waiting') + sum('prioritized'),
      delayed: sum('delayed'),
      // A document waiting for its batches is still being worked on.
      active: sum('active') + sum('waiting-children'),
      failed: sum('failed'),
    };
  };

  const inFlight = new Set(['waiting', 'prioritized', 'delayed', 'active', 'waiting-children']);
  return {
    bullQueues: [documents as Queue, batches as Queue],
    shared: true,
    async enqueue(jobs) {
      if (closing || jobs.length === 0) {
        return;
      }
      const unique = [...new Map(jobs.map((j) => [j.documentId, j])).values()];
      const states = await Promise.all(unique.map((j) => documents.getJobState(j.documentId)));
      const toAdd: { job: DocumentJob; id: string }[] = [];
      const stale: string[] = [];
      unique.forEach((job, i) => {
        const state = states[i];
        if (state === 'active' || state === 'waiting-children') {
          // A new version arrived while an older one runs: run once more. The running attempt is
          // fenced out by the store, so the rerun may even start before it ends.
          toAdd.push({ job: { ...job, delayMs: 0 }, id: rerunId(job.documentId) });
        } else {
          if (state === 'failed' || state === 'completed') {
            stale.push(job.documentId);
          }
          toAdd.push({ job, id: job.documentId });
        }
      });
      // A kept failed job would hold the id and swallow the new one.
      await Promise.all(stale.map((id) => documents.remove(id)));
      await add(toAdd);
    },
    start(handler, startOptions: StartOptions) {
      startWorker(documentQueueName, runDocument(handler), startOptions.concurrency);
      if (startOptions.batches) {
        startWorker(batchQueueName, runBatch(startOptions.batches), startOptions.batchConcurrency ?? startOptions.concurrency);
      }
      subscriber = options.connect();
      connections.push(subscriber);
      subscriber.on('message', (_channel: string, documentId: string) => abortDocument(documentId, 'cancelled'));
      subscriber.subscribe(cancelChannel).catch(options.onError);
    },
    async cancel(documentId) {
      abortDocument(documentId, 'cancelled');
      await Promise.all(
        [documentId, rerunId(documentId)].map(async (id) => {
          const state = await documents.getJobState(id);
          if (state !== 'active' && state !== 'unknown') {
            // Removes a waiting document with its batches. A job may turn active between the two
            // calls; then the broadcast below stops it.
            await documents.remove(id).catch(() => undefined);
          }
        }),
      );
      await commands.publish(cancelChannel, documentId);
    },
    async has(documentId) {
      const states = await Promise.all([documentId, rerunId(documentId)].map((id) => documents.getJobState(id)));
      return states.some((state) => inFlight.has(state));
    },
    stats: counts,
    async idle() {
      for (;;) {
        const c = await counts();
        if (c.waiting + c.delayed + c.active === 0) {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async close(graceMs = 10_000) {
      if (closing) {
        return;
      }
      closing = true;
      const grace = setTimeout(() => active.forEach((entry) => entry.controller.abort(shutdownReason)), graceMs);
      // Stops taking jobs and waits for the running ones to finish or be released.
      await Promise.all(workers.map((worker) => worker.close()));
      clearTimeout(grace);
      connections.forEach((connection) => connection.disconnect());
      await Promise.all([documents.close(), batches.close()]);
      commands.disconnect();
    },
  };

  function abortDocument(documentId: string, reason: string): void {
    for (const entry of active.values()) {
      if (entry.documentId === documentId) {
        entry.controller.abort(new Error(reason));
      }
    }
  }
}
