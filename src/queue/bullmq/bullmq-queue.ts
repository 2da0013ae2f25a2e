import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobQueue, StartOptions } from '../../ports/queue.js';
import { createBatchProcessor } from './bullmq-batches.js';
import { broadcastCancel, subscribeToCancels } from './bullmq-cancel.js';
import { batchQueueName, documentQueueName, openBullmqQueues } from './bullmq-connection.js';
import { enqueueDocuments, hasDocumentJob, removeDocumentJobs } from './bullmq-document-jobs.js';
import { createDocumentProcessor } from './bullmq-document-worker.js';
import { createRunningJobs } from './bullmq-running-jobs.js';
import { countJobs, waitUntilIdle } from './bullmq-stats.js';
import { startBullmqWorker } from './bullmq-workers.js';
import { rethrowUnavailable } from './redis-unavailable.js';

export { batchQueueName, documentQueueName } from './bullmq-connection.js';

export interface BullmqQueueOptions {
  /** Creates a Redis connection; BullMQ needs several (commands, blocking reads, pub/sub). */
  connect: () => Redis;
  /**
   * Creates the connection the queues send commands on (adding jobs, counting them): one whose
   * commands fail after a timeout, so that a caller on a request's path is not held while Redis is
   * away. @defaultValue `connect`
   */
  connectCommands?: () => Redis;
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
  /** How long a job that failed for good stays in Redis. @defaultValue 604800 (7 days) */
  failedJobsKeptSeconds?: number;
  /** Times a job may stall (its worker died) before it is failed for good. @defaultValue 5 */
  maxStalledCount?: number;
  /** Told about a job BullMQ failed on its own (stalled too often, or a dependency kept failing). */
  onJobLost: (documentId: string, reason: string) => void;
  onError: (error: unknown) => void;
}

/**
 * The distributed queue on BullMQ. Job ids are document ids, so enqueueing a document that is
 * already waiting is a no-op in Redis itself. A document's embedding batches fan out as child jobs
 * (a BullMQ flow) on a second queue that every worker takes from; the document's job waits for them
 * without holding a worker, and runs again to publish when the last one is done (fan-in). A retry
 * moves the job to delayed; a cancel is broadcast so that the process running the job aborts it; on
 * shutdown running jobs go back to waiting at once instead of waiting for their lock to expire.
 *
 * The pieces, one file each: the connection and the queues' stream caps (`bullmq-connection.ts`),
 * document job ids and reruns (`bullmq-document-jobs.ts`), the document worker
 * (`bullmq-document-worker.ts`), the fan-out and fan-in of embedding batches (`bullmq-batches.ts`),
 * worker locks (`bullmq-workers.ts`), lost-job detection (`bullmq-lost-jobs.ts`), the cancel broadcast
 * (`bullmq-cancel.ts`), jobs running here (`bullmq-running-jobs.ts`) and counts (`bullmq-stats.ts`).
 */
export function createBullmqQueue(options: BullmqQueueOptions): JobQueue & { readonly bullQueues: Queue[] } {
  const prefix = options.prefix ?? 'sluice';
  const queues = openBullmqQueues(
    options.connectCommands ?? options.connect,
    prefix,
    options.onError,
    options.failedJobsKeptSeconds ?? 7 * 86_400,
  );
  const { commands, documents, batches } = queues;
  const running = createRunningJobs();
  const workers: Worker[] = [];
  /** Connections of this process's workers and cancel subscription, closed with the queue. */
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const connection = options.connect();
    connections.push(connection);
    return connection;
  };
  const workerSettings = { ...options, connect, prefix };
  let closing = false;

  return {
    bullQueues: [documents as Queue, batches as Queue],
    shared: true,
    async enqueue(jobs) {
      if (closing || jobs.length === 0) {
        return;
      }
      await enqueueDocuments(documents, jobs).catch(rethrowUnavailable);
    },
    start(handler, startOptions: StartOptions) {
      const processDocument = createDocumentProcessor(handler, batches, running);
      workers.push(startBullmqWorker(workerSettings, documentQueueName, processDocument, startOptions.concurrency));
      if (startOptions.batches) {
        const processBatch = createBatchProcessor(startOptions.batches, running);
        const concurrency = startOptions.batchConcurrency ?? startOptions.concurrency;
        workers.push(startBullmqWorker(workerSettings, batchQueueName, processBatch, concurrency));
      }
      subscribeToCancels(connect(), (documentId) => running.abortDocument(documentId, 'cancelled'), options.onError);
    },
    async cancel(documentId) {
      running.abortDocument(documentId, 'cancelled');
      await removeDocumentJobs(documents, documentId).catch(rethrowUnavailable);
      await broadcastCancel(commands, documentId).catch(rethrowUnavailable);
    },
    has: (documentId) => hasDocumentJob(documents, documentId).catch(rethrowUnavailable),
    stats: () => countJobs(queues).catch(rethrowUnavailable),
    idle: () => waitUntilIdle(queues),
    async close(graceMs = 10_000) {
      if (closing) {
        return;
      }
      closing = true;
      queues.stopKeepingCaps();
      const grace = setTimeout(() => running.abortAllForShutdown(), graceMs);
      // Stops taking jobs and waits for the running ones to finish or be released.
      await Promise.all(workers.map((worker) => worker.close()));
      clearTimeout(grace);
      connections.forEach((connection) => connection.disconnect());
      await Promise.all([documents.close(), batches.close()]);
      commands.disconnect();
    },
  };
}
