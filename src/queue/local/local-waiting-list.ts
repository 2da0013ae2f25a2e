import type { DocumentJob } from '../../ports/queue.js';

interface Waiting {
  job: DocumentJob;
  priority: number;
  sequence: number;
}

/** Jobs ready to run: higher priority first, then arrival order (FIFO within a priority). */
export interface WaitingList {
  readonly length: number;
  push(job: DocumentJob): void;
  /** Removes and returns the job to run next. */
  shift(): DocumentJob | undefined;
  has(documentId: string): boolean;
  remove(documentId: string): void;
  clear(): void;
}

export function createWaitingList(): WaitingList {
  const waiting: Waiting[] = [];
  let sequence = 0;
  return {
    get length() {
      return waiting.length;
    },
    push(job) {
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
    },
    shift() {
      return waiting.shift()?.job;
    },
    has(documentId) {
      return waiting.some((w) => w.job.documentId === documentId);
    },
    remove(documentId) {
      const index = waiting.findIndex((w) => w.job.documentId === documentId);
      if (index >= 0) {
        waiting.splice(index, 1);
      }
    },
    clear() {
      waiting.length = 0;
    },
  };
}
