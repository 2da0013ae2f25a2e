import type { DocumentJob, QueueStats } from '../../ports/queue.js';
import { createWaitingList } from './local-waiting-list.js';

/** A job running in this process. */
export interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
}

/** Where each document's job is: waiting, delayed, running, or running and due to run again. */
export interface LocalJobStore {
  /**
   * Puts the job where it belongs: a running document is run once more afterwards; one already
   * waiting is left; a delay makes it wait on a timer, unless it is due now.
   */
  add(job: DocumentJob): void;
  /** Removes and returns the job to run next, highest priority first. */
  takeNext(): DocumentJob | undefined;
  readonly waitingCount: number;
  readonly runningCount: number;
  setRunning(documentId: string, job: RunningJob): void;
  clearRunning(documentId: string): void;
  /** The job the document is due to run again with, taken out of the store. */
  takeRerun(documentId: string): DocumentJob | undefined;
  /** Drops the document's waiting, delayed and rerun jobs; returns its running job. */
  remove(documentId: string): RunningJob | undefined;
  /** Drops every job waiting or delayed; returns the running ones. */
  dropPending(): RunningJob[];
  has(documentId: string): boolean;
  stats(): QueueStats;
  /** Resolves when nothing is waiting, delayed or running. */
  whenIdle(): Promise<void>;
  /** Resolves `whenIdle` promises if nothing is waiting, delayed or running now. */
  notifyIdle(): void;
}

/** `onDelayedDue` is told when a delayed job has moved to the waiting list. */
export function createLocalJobStore(onDelayedDue: () => void): LocalJobStore {
  const waiting = createWaitingList();
  const delayed = new Map<string, NodeJS.Timeout>();
  const active = new Map<string, RunningJob>();
  // Documents enqueued again while running (a new version arrived): they run once more afterwards.
  const rerun = new Map<string, DocumentJob>();
  let idleWaiters: (() => void)[] = [];

  const isIdle = (): boolean => waiting.length === 0 && delayed.size === 0 && active.size === 0;

  const add = (job: DocumentJob): void => {
    const id = job.documentId;
    if (active.has(id)) {
      rerun.set(id, { ...job, delayMs: 0 });
      return;
    }
    if (waiting.has(id)) {
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
          onDelayedDue();
        }, job.delayMs),
      );
      return;
    }
    waiting.push(job);
  };

  return {
    add,
    takeNext: () => waiting.shift(),
    get waitingCount() {
      return waiting.length;
    },
    get runningCount() {
      return active.size;
    },
    setRunning(documentId, job) {
      active.set(documentId, job);
    },
    clearRunning(documentId) {
      active.delete(documentId);
    },
    takeRerun(documentId) {
      const again = rerun.get(documentId);
      rerun.delete(documentId);
      return again;
    },
    remove(documentId) {
      waiting.remove(documentId);
      const timer = delayed.get(documentId);
      if (timer) {
        clearTimeout(timer);
        delayed.delete(documentId);
      }
      rerun.delete(documentId);
      return active.get(documentId);
    },
    dropPending() {
      waiting.clear();
      delayed.forEach((timer) => clearTimeout(timer));
      delayed.clear();
      return [...active.values()];
    },
    has(documentId) {
      return active.has(documentId) || delayed.has(documentId) || waiting.has(documentId);
    },
    stats() {
      return { waiting: waiting.length, delayed: delayed.size, active: active.size, failed: 0 };
    },
    whenIdle() {
      return isIdle() ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    notifyIdle() {
      if (isIdle()) {
        const waiters = idleWaiters;
        idleWaiters = [];
        waiters.forEach((resolve) => resolve());
      }
    },
  };
}
