import { setFlagsFromString } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

/** For a process that answers requests: see `setHeapGrowth`. */
const servingHeapGrowthPercent = 300;

/**
 * For the others (`sluice ingest`, `sluice worker`): the files, their chunks' messages and the vectors
 * an ingesting process passes along are buffers outside V8's heap, which live long enough to reach the
 * old generation and go back only at a full collection. With V8's own choice, which for a heap of
 * 15–20 MB live waits long, the process held about 30 MB of such garbage at the whole corpus's peak
 * (146–148 MB, 391–397 for the tree); at 50 %, 113–119 MB (361–367), in as much CPU.
 */
const ingestingHeapGrowthPercent = 50;

/** The heap growth a process takes: the configured one, else its role's. */
export const heapGrowthPercentFor = (servesRequests: boolean, configured?: number): number =>
  configured ?? (servesRequests ? servingHeapGrowthPercent : ingestingHeapGrowthPercent);

/**
 * Sets this process's heap growth for its role, from its main thread only, and returns what it set. The
 * flag holds for every thread of the process: `sluice serve`'s workers run in a worker thread that builds
 * an app of its own, and had it set the flag too, the API's thread would have lost its 300 %.
 */
export function applyHeapGrowth(servesRequests: boolean, configured?: number, mainThread = isMainThread): number | undefined {
  if (!mainThread) {
    return undefined;
  }
  const percent = heapGrowthPercentFor(servesRequests, configured);
  setHeapGrowth(percent);
  return percent;
}

/**
 * Lets V8's old generation grow `percent` past what its last full collection kept before the next one
 * starts, in every thread of this process; 0 leaves V8 its own choice.
 *
 * Why a process that answers requests wants this: its heap is small (about 20 MB live) and allocates
 * little, so V8 judges collecting cheap and sets the next limit barely above the live size. V8 starts
 * marking as soon as the room under the limit is less than the young generation could promote (here,
 * 47 MB of room was too little), which for such a heap is right after every full collection: one
 * every 0.4–0.6 s, each pausing the event loop for up to 20–40 ms, and an upload caught by one answers
 * that much later. 75–80 ran in one run of the upload bench with nothing ingested; 2 at 300 %. At
 * 150 % the room (46–47 MB) stays short and marking still runs all the time: upload p99s of 38–55 ms,
 * against 33–41 at 300 % and 50–69 with V8's own choice. The price of 300 % is memory: `sluice serve`
 * peaked 25–47 MB higher under the upload bench and about 30 MB higher ingesting the whole corpus
 * (BENCH.md).
 *
 * The flag is read each time V8 sets a new limit, so setting it after start-up takes effect at the next
 * collection; no node command-line flag is needed, however the process was started.
 */
export function setHeapGrowth(percent: number): void {
  // V8 reads 0 as "no fixed growth": setting it also undoes an earlier setting in this process.
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
