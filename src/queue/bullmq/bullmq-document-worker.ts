import { DelayedError, WaitingChildrenError, type Job, type Queue } from 'bullmq';
import type { BatchJob, DocumentJob, FanIn, JobHandler, JobOutcome } from '../../ports/queue.js';
import { addBatchJobs, finishedBatches } from './bullmq-batches.js';
import { documentPayload, type DocumentPayload } from './bullmq-payloads.js';
import type { RunningJobs } from './bullmq-running-jobs.js';

/**
 * The fan-in a document's job runs again for, once its batches have finished; undefined when it has
 * none pending, or when its batches were lost. Throws BullMQ's `WaitingChildrenError` while some
 * batches still run.
 */
async function pendingFanIn(
  job: Job<DocumentPayload>,
  pending: DocumentPayload['fanIn'],
  plain: Omit<DocumentPayload, 'fanIn'>,
  token?: string,
): Promise<FanIn | undefined> {
  if (!pending) {
    return undefined;
  }
  const results = await finishedBatches(job, pending.attemptId);
  if (results.length >= pending.batches) {
    return { ...pending, results };
  }
  if (await job.moveToWaitingChildren(token as string)) {
    throw new WaitingChildrenError();
  }
  // Batches lost (their keys gone with a Redis that kept no data): start the document over.
  await job.updateData(plain);
  return undefined;
}

/**
 * The processor of document jobs. A retry moves the job to delayed; a fan-out adds the batches as
 * child jobs and the job waits for them without holding a worker, then runs again to fan in.
 */
export const createDocumentProcessor =
  (handler: JobHandler, batches: Queue<BatchJob>, running: RunningJobs) =>
  async (job: Job<DocumentPayload>, token?: string): Promise<void> => {
    const data = documentPayload.parse(job.data);
    const { fanIn: pending, ...plain } = data;
    const base: DocumentJob = plain;
    await running.track(job, data.documentId, async (signal) => {
      let fanIn = await pendingFanIn(job, pending, plain, token);
      for (;;) {
        const outcome: JobOutcome = await handler(base, signal, fanIn);
        await running.releaseIfShuttingDown(job, signal, token);
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
        await addBatchJobs(batches, job, outcome, data.priority);
        if (await job.moveToWaitingChildren(token as string)) {
          throw new WaitingChildrenError();
        }
        // Every batch finished before the job could start waiting: fan in right away.
        fanIn = {
          attemptId,
          mediaType,
          batches: outcome.batches.length,
          results: await finishedBatches(job, attemptId),
        };
      }
    });
  };
