import { setFlagsFromString } from 'node:v8';

/**
 * Lets V8's old generation grow `percent` past what its last full collection kept before the next one
 * starts, in every thread of this process; 0 leaves V8 its own choice.
 *
 * Why a process that answers requests wants this: its heap is small (about 20 MB live) and allocates
 * little, so V8 judges collecting cheap and sets the next limit barely above the live size. V8 starts
 * marking as soon as the room left under the limit is less than the young generation could promote
 * (in the runs here, 47 MB of room was too little and 60 MB enough), which for such a heap is at once, after every full collection: one every
 * 0.4–0.6 s, each pausing the event loop for up to 20–40 ms, and an upload caught by one answers that
 * much later. 75 of them ran in one run of the upload bench with nothing ingested; 2 with 300 %, where
 * 20 MB live leaves 60 MB of room. At 150 % the room (about 47 MB) stays just short, marking still runs
 * all the time, and the upload p99 fell less: 38–53 ms, against 35–41 at 300 % and 50–69 with V8's
 * own choice. The price is memory: `sluice serve` peaked
 * about 20 MB higher under the upload bench (235–240 MB against 217) and 30 MB higher ingesting the
 * whole corpus (BENCH.md).
 *
 * The flag is read each time V8 sets a new limit, so setting it after start-up takes effect at the next
 * collection; no node command-line flag is needed, however the process was started.
 */
export function setHeapGrowth(percent: number): void {
  if (percent > 0) {
    setFlagsFromString(`--heap-growing-percent=${percent}`);
  }
}
