import { setFlagsFromString } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

/** For a process that answers requests: see `setHeapGrowth`. */
const servingHeapGrowthPercent = 300;

/**
 * For the others (`sluice ingest`, `sluice worker`): the buffers an ingesting process passes along (files,
 * chunk messages, vectors) go back only at a full collection, which V8's own growth puts off; at 50 %
 * they go back sooner, and the peak is lower in as much CPU (measured in BENCH.md).
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
export function applyHeapGrowth(
  servesRequests: boolean,
  configured?: number,
  mainThread = isMainThread,
): number | undefined {
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
 * A process that answers requests has a small, quiet heap, whose limit V8 sets barely above the live
 * size: marking starts again right after each full collection, and its pauses delay uploads. 300 % stops
 * that for some memory (measured in BENCH.md, "the API's heap may grow 300 %").
 *
 * The flag is read each time V8 sets a new limit, so setting it after start-up takes effect at the next
 * collection; no node command-line flag is needed, however the process was started.
 */
export function setHeapGrowth(percent: number): void {
  // V8 reads 0 as "no fixed growth": setting it also undoes an earlier setting in this process.
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
