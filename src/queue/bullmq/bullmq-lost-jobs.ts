import type { Worker } from 'bullmq';

/**
 * Tells `onJobLost` about each job the worker's queue failed for good: stalled too often, or a
 * dependency kept failing.
 */
export function reportLostJobs(
  worker: Worker,
  onJobLost: (documentId: string, reason: string) => void,
  onError: (error: unknown) => void,
): void {
  worker.on('failed', (job, error) => {
    if (!job) {
      return;
    }
    // Emitted for every failed try; only a job that has run out of tries is lost for good.
    job
      .getState()
      .then((state) => {
        if (state === 'failed') {
          onJobLost((job.data as { documentId: string }).documentId, error.message);
        }
      })
      .catch(onError);
  });
}
