import { DelayedError, Queue, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { DocumentJob, JobHandler, JobQueue, QueueStats } from '../../ports/queue.js';

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
  /** Told about a job BullMQ failed on its own (stalled too often, or a handler that threw). */
  onJobLost: (documentId: string, reason: string) => void;
  onError: (error: unknown) => void;
}

export const documentQueueName = 'documents';
/** Channel on which a cancel reaches whichever process runs the job. */
const cancelChannel = 'sluice:cancel';

const payload = z.object({ documentId: z.string().min(1), priority: z.number().int().optional() });

/**
 * BullMQ ranks by `priority` ascending (1 first) and runs unprioritised jobs before all others; the
 * port ranks higher first. Every job gets an explicit BullMQ priority so that the order holds.
 */
function toBullPriority(priority = 0): number {
  return Math.min(2_097_151, Math.max(1, 1_000_000 - Math.round(priority)));
}

/** Waiting (or delayed) job of a document has the document id as job id; see enqueue for reruns. */
const rerunId = (documentId: string): string => `${documentId}.rerun`;

/**
 * The distributed queue on BullMQ. Job ids are document ids, so enqueueing a document that is
 * already waiting is a no-op in Redis itself. A retry moves the job to delayed; a cancel is
 * broadcast so that the process running the job aborts it; on shutdown running jobs go back to
 * waiting at once instead of waiting for their lock to expire.
 */
export function createBullmqQueue(options: BullmqQueueOptions): JobQueue & { readonly bullQueue: Queue<DocumentJob> } {
  const prefix = options.prefix ?? 'sluice';
  const commands = options.connect();
  const queue = new Queue<DocumentJob>(documentQueueName, { connection: commands, prefix });
  queue.on('error', options.onError);
  const active = new Map<string, AbortController>();
  let worker: Worker<DocumentJob> | undefined;
  let workerConnection: Redis | undefined;
  let subscriber: Redis | undefined;
  let closing = false;
  const shutdownReason = new Error('shutting down');

  const add = (jobs: { job: DocumentJob; id: string }[]) =>
    queue.addBulk(
      jobs.map(({ job, id }) => ({
        name: 'document',
        data: { documentId: job.documentId, ...(job.priority !== undefined ? { priority: job.priority } : {}) },
        opts: {
          jobId: id,
          priority: toBullPriority(job.priority),
          ...(job.delayMs ? { delay: job.delayMs } : {}),
          // Handlers record document failures in the ledger themselves; a handler that throws met a
          // broken dependency (database unreachable), which BullMQ retries with backoff.
          attempts: 8,
          backoff: { type: 'exponential', delay: 1000 },
          // Outcomes live in the ledger; Redis keeps only what is in flight, so its memory stays flat.
          removeOnComplete: true,
          removeOnFail: { count: 1000, age: 7 * 86_400 },
        },
      })),
    );

  const run = async (job: Job<DocumentJob>, token?: string): Promise<void> => {
    const data = payload.parse(job.data);
    const controller = new AbortController();
    active.set(data.documentId, controller);
    try {
      const outcome = await (handler as JobHandler)(data, controller.signal);
      if (controller.signal.reason === shutdownReason) {
        // Released rather than completed: another worker picks it up now, not after the lock expires.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (outcome.kind === 'retry' && !controller.signal.aborted) {
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError();
      }
    } finally {
      active.delete(data.documentId);
    }
  };
  let handler: JobHandler | undefined;

  const counts = async (): Promise<QueueStats> => {
    const c = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed');
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      delayed: c.delayed ?? 0,
      active: c.active ?? 0,
      failed: c.failed ?? 0,
    };
  };

  const inFlight = new Set(['waiting', 'prioritized', 'delayed', 'active', 'waiting-children']);
  return {
    bullQueue: queue,
    shared: true,
    async enqueue(jobs) {
      if (closing || jobs.length === 0) {
        return;
      }
      const unique = [...new Map(jobs.map((j) => [j.documentId, j])).values()];
      const states = await Promise.all(unique.map((j) => queue.getJobState(j.documentId)));
      const toAdd: { job: DocumentJob; id: string }[] = [];
      const stale: string[] = [];
      unique.forEach((job, i) => {
        const state = states[i];
        if (state === 'active') {
          // A new version arrived while an older one runs: run once more afterwards. The running
          // attempt is fenced out by the store, so the rerun may even start before it ends.
          toAdd.push({ job: { ...job, delayMs: 0 }, id: rerunId(job.documentId) });
        } else {
          if (state === 'failed' || state === 'completed') {
            stale.push(job.documentId);
          }
          toAdd.push({ job, id: job.documentId });
        }
      });
      // A kept failed job would hold the id and swallow the new one.
      await Promise.all(stale.map((id) => queue.remove(id)));
      await add(toAdd);
    },
    start(newHandler, startOptions) {
      handler = newHandler;
      workerConnection = options.connect();
      worker = new Worker<DocumentJob>(documentQueueName, run, {
        connection: workerConnection,
        prefix,
        concurrency: Math.max(1, startOptions.concurrency),
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
          .then((state) => state === 'failed' && options.onJobLost(payload.parse(job.data).documentId, error.message))
          .catch(options.onError);
      });
      subscriber = options.connect();
      subscriber.on('message', (_channel: string, documentId: string) => {
        active.get(documentId)?.abort(new Error('cancelled'));
      });
      subscriber.subscribe(cancelChannel).catch(options.onError);
    },
    async cancel(documentId) {
      active.get(documentId)?.abort(new Error('cancelled'));
      await Promise.all(
        [documentId, rerunId(documentId)].map(async (id) => {
          const state = await queue.getJobState(id);
          if (state !== 'active' && state !== 'unknown') {
            // A job may turn active between the two calls; then the broadcast below stops it.
            await queue.remove(id).catch(() => undefined);
          }
        }),
      );
      await commands.publish(cancelChannel, documentId);
    },
    async has(documentId) {
      const states = await Promise.all([documentId, rerunId(documentId)].map((id) => queue.getJobState(id)));
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
      if (worker) {
        const grace = setTimeout(() => active.forEach((controller) => controller.abort(shutdownReason)), graceMs);
        // Stops taking jobs and waits for the running ones to finish or be released.
        await worker.close();
        clearTimeout(grace);
      }
      workerConnection?.disconnect();
      subscriber?.disconnect();
      await queue.close();
      commands.disconnect();
    },
  };
}
