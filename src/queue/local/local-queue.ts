import type { DocumentJob, JobQueue } from '../../ports/queue.js';
import { createLocalJobStore } from './local-job-store.js';
import { createLocalScheduler } from './local-scheduler.js';

export interface LocalQueueOptions {
  /**
   * Told about a job whose handler threw instead of returning an outcome every time it ran (a
   * dependency that stayed away, or a bug: handlers report document problems); it is given up.
   */
  onHandlerError: (error: unknown, job: DocumentJob) => void;
}

/**
 * The embedded-mode queue: in memory, priority-ordered (FIFO within a priority), with delayed retries,
 * a concurrency limit and cancellation through AbortSignal. It is durable through the ledger, not on
 * its own: at start the worker re-enqueues every unfinished document the store lists.
 *
 * The pieces, one file each: where each job is (`local-job-store.ts`, its priority order in
 * `local-waiting-list.ts`), what runs next and when (`local-scheduler.ts`), and the fan-out and fan-in
 * of a document's embedding batches, run inline (`local-fan-in.ts`).
 */
export function createLocalQueue(options: LocalQueueOptions): JobQueue {
  // A delayed job that comes due starts at once if there is room.
  const store = createLocalJobStore(() => scheduler.pump());
  const scheduler = createLocalScheduler(store, options.onHandlerError);

  return {
    shared: false,
    enqueue(jobs) {
      if (!scheduler.closed) {
        jobs.forEach((job) => store.add(job));
        scheduler.pump();
      }
      return Promise.resolve();
    },
    start(handler, startOptions) {
      scheduler.start(handler, startOptions.batches, startOptions.concurrency);
    },
    cancel(documentId) {
      store.remove(documentId)?.controller.abort(new Error('cancelled'));
      store.notifyIdle();
      return Promise.resolve();
    },
    has(documentId) {
      return Promise.resolve(store.has(documentId));
    },
    stats() {
      return Promise.resolve(store.stats());
    },
    idle() {
      return store.whenIdle();
    },
    async close(graceMs = 10_000) {
      scheduler.close();
      const running = store.dropPending();
      const grace = setTimeout(() => running.forEach((r) => r.controller.abort(new Error('shutting down'))), graceMs);
      await Promise.all(running.map((r) => r.done));
      clearTimeout(grace);
      store.notifyIdle();
    },
  };
}
