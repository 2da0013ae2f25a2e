import type { Job, Queue } from 'bullmq';
import type { BatchHandler, BatchJob, BatchResult, JobOutcome } from '../../ports/queue.js';
import { jobDefaults, toBullPriority } from './bullmq-job-options.js';
import { batchPayload, decodeBatchResult, encodeBatchResult } from './bullmq-payloads.js';
import type { RunningJobs } from './bullmq-running-jobs.js';

type FanOut = Extract<JobOutcome, { kind: 'fanOut' }>;

/**
 * Fan-out: adds a document's embedding batches as child jobs of its job (a BullMQ flow) on the
 * batch queue, which every worker takes from. A failed batch fails the document's job.
 */
export async function addBatchJobs(
  batches: Queue<BatchJob>,
  parent: Job,
  outcome: FanOut,
  priority?: number,
): Promise<void> {
  await batches.addBulk(
    outcome.batches.map((batch) => ({
      name: 'batch',
      data: batch,
      opts: {
        ...jobDefaults,
        // Deterministic ids: a document job that runs again after a crash adds no duplicates.
        jobId: `${batch.documentId}.${batch.attemptId}.${batch.batch}`,
        priority: toBullPriority(priority),
        parent: { id: parent.id as string, queue: parent.queueQualifiedName },
        failParentOnFailure: true,
      },
    })),
  );
}

/**
 * Fan-in: results of this attempt's batches that have finished (values of removed children stay with
 * the parent).
 */
export async function finishedBatches(job: Job, attemptId: string): Promise<BatchResult[]> {
  const values = Object.values(await job.getChildrenValues());
  const byBatch = new Map(
    values
      .map(decodeBatchResult)
      .filter((r) => r.attemptId === attemptId)
      .map((r) => [r.batch, r]),
  );
  return [...byBatch.values()];
}

/** The processor of batch jobs: runs the handler and returns its result as the job's value. */
export const createBatchProcessor =
  (handler: BatchHandler, running: RunningJobs) =>
  async (job: Job<BatchJob>, token?: string): Promise<unknown> => {
    const data = batchPayload.parse(job.data);
    return running.track(job, data.documentId, async (signal) => {
      const result = await handler(data, signal);
      await running.releaseIfShuttingDown(job, signal, token);
      return encodeBatchResult(result);
    });
  };
