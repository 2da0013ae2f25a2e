import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Lets short writes go ahead of a publish's slices (and, for a store that yields, of all its writes)
 * when both come from one process: the API's thread and the worker thread of `sluice serve` write
 * through connections of their own, and SQLite's lock is not fair. A write refused as busy polls every
 * millisecond, and a publish between its 4 ms slices pauses for one, so an upload's few writes could
 * each wait out a slice. With the gate, a slice under way ends at its next chunk when a short write
 * waits, and the next does not start while one waits, or for a moment after one got through (the same
 * request's next write follows within a millisecond or two).
 */
export interface WriterGate {
  /** A short write was refused as busy; the returned function says it is done (written or given up). */
  waiting(): () => void;
  /** Whether a short write waits now: a slice under way ends early, at its next chunk. */
  someoneWaits(): boolean;
  /** Resolves once no short write waits nor just got through, or after `maxMs` in any case. */
  clear(maxMs: number): Promise<void>;
  /** The memory the gate lives in, to hand to another thread's store. */
  readonly shared: SharedArrayBuffer;
}

/** How long after a waiting write got through a slice still holds off. */
const lingerMs = 5;
const waitingSlot = 0;
const lastDoneSlot = 1;
// Milliseconds fit an Int32 slot modulo 2^31; differences are taken modulo the same.
const clock = (): number => Date.now() % 2 ** 31;
const since = (stamp: number): number => (clock() - stamp + 2 ** 31) % 2 ** 31;

/** A gate over `shared` (from another thread's gate), or over new memory. */
export function createWriterGate(shared?: SharedArrayBuffer): WriterGate {
  const memory = shared ?? new SharedArrayBuffer(8);
  const slots = new Int32Array(memory);
  if (!shared) {
    Atomics.store(slots, lastDoneSlot, (clock() - lingerMs - 1 + 2 ** 31) % 2 ** 31);
  }
  const holding = (): boolean =>
    Atomics.load(slots, waitingSlot) > 0 || since(Atomics.load(slots, lastDoneSlot)) < lingerMs;
  return {
    shared: memory,
    waiting() {
      Atomics.add(slots, waitingSlot, 1);
      let done = false;
      return () => {
        if (!done) {
          done = true;
          Atomics.store(slots, lastDoneSlot, clock());
          Atomics.sub(slots, waitingSlot, 1);
        }
      };
    },
    someoneWaits: () => Atomics.load(slots, waitingSlot) > 0,
    async clear(maxMs) {
      const deadline = Date.now() + maxMs;
      while (holding() && Date.now() < deadline) {
        await sleep(1);
      }
    },
  };
}
