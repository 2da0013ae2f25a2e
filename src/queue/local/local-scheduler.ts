import type { BatchHandler, DocumentJob, JobHandler } from '../../ports/queue.js';
import { runToEnd, type LocalHandlers } from './local-fan-in.js';
import type { LocalJobStore } from './local-job-store.js';

/** Runs waiting jobs, at most `concurrency` at once, as long as it has a handler and is not closed. */
export interface LocalScheduler {
  readonly closed: boolean;
  /** Sets the handlers and the concurrency limit, and starts running jobs. */
  start(handler: JobHandler, batchHandler: BatchHandler | undefined, concurrency: number): void;
  /** Starts waiting jobs while there is room. */
  pump(): void;
  /** Starts no job any more; the store's running jobs go on until they end. */
  close(): void;
}

/**
 * A handler that throws met a broken dependency (its database gone for a moment), not a bad document
 * (those it reports): the job runs again after a backoff, as many times as BullMQ's attempts
 * (`bullmq-job-options.ts`), before it is given up and told to `onHandlerError` alone.
 */
const handlerAttempts = 8;
const handlerRetryBaseMs = 1000;

export function createLocalScheduler(
  store: LocalJobStore,
  onHandlerError: (error: unknown, job: DocumentJob) => void,
): LocalScheduler {
  const handlers: LocalHandlers = {};
  let concurrency = 1;
  let closed = false;
  const failures = new Map<string, number>();

  const run = (job: DocumentJob): void => {
    const controller = new AbortController();
    const id = job.documentId;
    const done = (async () => {
      try {
        const outcome = await runToEnd(handlers, job, controller.signal);
        failures.delete(id);
        if (outcome.kind === 'retry' && !closed && !controller.signal.aborted) {
          store.clearRunning(id);
          store.add({ ...job, delayMs: outcome.delayMs });
        }
      } catch (error) {
        const failed = (failures.get(id) ?? 0) + 1;
        if (failed < handlerAttempts && !closed && !controller.signal.aborted) {
          failures.set(id, failed);
          store.clearRunning(id);
          store.add({ ...job, delayMs: handlerRetryBaseMs * 2 ** (failed - 1) });
        } else {
          failures.delete(id);
          onHandlerError(error, job);
        }
      } finally {
        store.clearRunning(id);
        if (!closed) {
          const again = store.takeRerun(id);
          if (again) {
            store.add(again);
          }
        }
        pump();
        store.notifyIdle();
      }
    })();
    store.setRunning(id, { controller, done });
  };

  const pump = (): void => {
    while (handlers.job && !closed && store.runningCount < concurrency && store.waitingCount > 0) {
      run(store.takeNext() as DocumentJob);
    }
  };

  return {
    get closed() {
      return closed;
    },
    start(handler, batchHandler, newConcurrency) {
      handlers.job = handler;
      handlers.batches = batchHandler;
      concurrency = Math.max(1, newConcurrency);
      pump();
    },
    pump,
    close() {
      closed = true;
    },
  };
}
