import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { BatchHandler, BatchResult, DocumentJob, FanIn, JobHandler, JobOutcome, JobQueue, QueueStats } from '../../ports/queue.js';

export interface LocalQueueOptions {
  /** Told about a handler that threw instead of returning an outcome (a bug: handlers catch). */
  onHandlerError: (error: unknown, job: DocumentJob) => void;
}

interface Waiting {
  job: DocumentJob;
  priority: number;
  sequence: number;
}

/**
 * The embedded-mode queue: in memory, priority-ordered (FIFO within a priority), with delayed retries,
 * a concurrency limit and cancellation through AbortSignal. It is durable through the ledger, not on
 * its own: at start the worker re-enqueues every unfinished document the store lists.
 */
export function createLocalQueue(options: LocalQueueOptions): JobQueue {
  const waiting: Waiting[] = [];
  const delayed = new Map<string, NodeJS.Timeout>();
  const active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  // Documents enqueued again while running (a new version arrived): they run once more afterwards.
  const rerun = new Map<string, DocumentJob>();
  let idleWaiters: (() => void)[] = [];
  let handler: JobHandler | undefined;
  let batchHandler: BatchHandler | undefined;
  let concurrency = 1;
  let sequence = 0;
  let closed = false;

  const isIdle = (): boolean => waiting.length === 0 && delayed.size === 0 && active.size === 0;
  const notifyIdle = (): void => {
    if (isIdle()) {
      const waiters = idleWaiters;
      idleWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
  };

  const addWaiting = (job: DocumentJob): void => {
    const entry = { job, priority: job.priority ?? 0, sequence: sequence++ };
    // Binary search for the slot: higher priority first, then arrival order.
    let low = 0;
    let high = waiting.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const other = waiting[mid] as Waiting;
      if (other.priority > entry.priority || (other.priority === entry.priority && other.sequence < entry.sequence)) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    waiting.splice(low, 0, entry);
  };

  const add = (job: DocumentJob): void => {
    const id = job.documentId;
    if (active.has(id)) {
      rerun.set(id, { ...job, delayMs: 0 });
      return;
    }
    if (waiting.some((w) => w.job.documentId === id)) {
      return;
    }
    const timer = delayed.get(id);
    if (timer) {
      if ((job.delayMs ?? 0) > 0) {
        return;
      }
      clearTimeout(timer);
      delayed.delete(id);
    }
    if ((job.delayMs ?? 0) > 0) {
      delayed.set(
        id,
        setTimeout(() => {
          delayed.delete(id);
          add({ ...job, delayMs: 0 });
          pump();
        }, job.delayMs),
      );
      return;
    }
    addWaiting(job);
  };

  /**
   * Calls the handler, running any batches it fans out here, one after another (in one process they
   * would only compete for the same thread), until it answers done or retry.
   */
  const runToEnd = async (job: DocumentJob, signal: AbortSignal): Promise<JobOutcome> => {
    let fanIn: FanIn | undefined;
    for (;;) {
      const outcome = await (handler as JobHandler)(job, signal, fanIn);
      if (outcome.kind !== 'fanOut') {
        return outcome;
      }
      if (!batchHandler) {
        throw new Error('the handler fanned out batches, but no batch handler was given to start()');
      }
      const results: BatchResult[] = [];
      for (const batch of outcome.batches) {
        if (signal.aborted) {
          return { kind: 'done' };
        }
        const result = await batchHandler(batch, signal);
        results.push(result);
        // A batch may finish without one wait on I/O (an embedder that computes in this thread, a
        // store that answers synchronously): without a turn of the event loop between batches, a
        // document's whole embedding would run as one task while uploads and searches wait.
        await yieldToEventLoop();
        // Unless the document may be published without failed chunks, the attempt is lost with its
        // first failed batch: the rest would be embedded for nothing (and a failing API hit again).
        if (result.kind === 'failed' && !outcome.keepGoingAfterFailure) {
          break;
        }
      }
      fanIn = { attemptId: outcome.attemptId, mediaType: outcome.mediaType, batches: outcome.batches.length, results };
    }
  };

  const run = (job: DocumentJob): void => {
    const controller = new AbortController();
    const id = job.documentId;
    const done = (async () => {
      try {
        const outcome = await runToEnd(job, controller.signal);
        if (outcome.kind === 'retry' && !closed && !controller.signal.aborted) {
          active.delete(id);
          add({ ...job, delayMs: outcome.delayMs });
        }
      } catch (error) {
        options.onHandlerError(error, job);
      } finally {
        active.delete(id);
        const again = rerun.get(id);
        if (again && !closed) {
          rerun.delete(id);
          add(again);
        }
        pump();
        notifyIdle();
      }
    })();
    active.set(id, { controller, done });
  };

  const pump = (): void => {
    while (handler && !closed && active.size < concurrency && waiting.length > 0) {
      run((waiting.shift() as Waiting).job);
    }
  };

  return {
    shared: false,
    enqueue(jobs) {
      if (!closed) {
        jobs.forEach(add);
        pump();
      }
      return Promise.resolve();
    },
    start(newHandler, startOptions) {
      handler = newHandler;
      batchHandler = startOptions.batches;
      concurrency = Math.max(1, startOptions.concurrency);
      pump();
    },
    cancel(documentId) {
      const index = waiting.findIndex((w) => w.job.documentId === documentId);
      if (index >= 0) {
        waiting.splice(index, 1);
      }
      const timer = delayed.get(documentId);
      if (timer) {
        clearTimeout(timer);
        delayed.delete(documentId);
      }
      rerun.delete(documentId);
      active.get(documentId)?.controller.abort(new Error('cancelled'));
      notifyIdle();
      return Promise.resolve();
    },
    has(documentId) {
      return Promise.resolve(
        active.has(documentId) || delayed.has(documentId) || waiting.some((w) => w.job.documentId === documentId),
      );
    },
    stats(): Promise<QueueStats> {
      return Promise.resolve({ waiting: waiting.length, delayed: delayed.size, active: active.size, failed: 0 });
    },
    idle() {
      return isIdle() ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close(graceMs = 10_000) {
      closed = true;
      waiting.length = 0;
      delayed.forEach((timer) => clearTimeout(timer));
      delayed.clear();
      const running = [...active.values()];
      const grace = setTimeout(() => running.forEach((r) => r.controller.abort(new Error('shutting down'))), graceMs);
      await Promise.all(running.map((r) => r.done));
      clearTimeout(grace);
      notifyIdle();
    },
  };
}
