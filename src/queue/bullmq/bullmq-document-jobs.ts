import type { Queue } from 'bullmq';
import type { DocumentJob } from '../../ports/queue.js';
import { jobDefaults, rerunId, toBullPriority } from './bullmq-job-options.js';
import type { DocumentPayload } from './bullmq-payloads.js';

/** States in which a document's job is still to run or running. */
const inFlight = new Set(['waiting', 'prioritized', 'delayed', 'active', 'waiting-children']);

const add = (documents: Queue<DocumentPayload>, jobs: { job: DocumentJob; id: string }[]) =>
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

/**
 * Adds document jobs under their document ids, so that a document already waiting is a no-op in
 * Redis itself; a document whose job runs gets one rerun job.
 */
export async function enqueueDocuments(documents: Queue<DocumentPayload>, jobs: DocumentJob[]): Promise<void> {
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
  await add(documents, toAdd);
}

/** Removes the document's jobs that are not running; a running one is left to the cancel broadcast. */
export async function removeDocumentJobs(documents: Queue<DocumentPayload>, documentId: string): Promise<void> {
  await Promise.all(
    [documentId, rerunId(documentId)].map(async (id) => {
      const state = await documents.getJobState(id);
      if (state !== 'active' && state !== 'unknown') {
        // Removes a waiting document with its batches. A job may turn active between the two
        // calls; then the broadcast stops it.
        await documents.remove(id).catch(() => undefined);
      }
    }),
  );
}

/** Whether the document has a job (or a rerun) waiting, delayed or running. */
export async function hasDocumentJob(documents: Queue<DocumentPayload>, documentId: string): Promise<boolean> {
  const states = await Promise.all([documentId, rerunId(documentId)].map((id) => documents.getJobState(id)));
  return states.some((state) => inFlight.has(state));
}
