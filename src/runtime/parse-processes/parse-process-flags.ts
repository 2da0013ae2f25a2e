/**
 * Semi-space of each parse process's young generation, in MiB (V8's default is 16). A process holds
 * two, and keeps them committed once grown, beside the heap a large PDF fills: smaller ones keep a
 * large PDF's peak lower for a little more CPU, and the whole corpus ingests in as long (measured in
 * BENCH.md).
 */
const semiSpaceMb = 4;

/**
 * How far V8 lets a parse process's old generation grow past what its last full collection kept, in
 * percent. Left to itself V8 picks a factor of up to 4 for a heap that is collected quickly, and a PDF's
 * garbage then sits in memory: at 50 % a parse process and the whole tree peak lower, as fast (measured
 * in BENCH.md).
 */
const heapGrowingPercent = 50;

/**
 * PDFium's WebAssembly is compiled by TurboFan alone, not first by Liftoff and then again by TurboFan for
 * the functions that run hot: V8 keeps both sets of code. A large PDF's process peaks lower in as long;
 * the first PDF a process reads waits a little longer for its code (measured in BENCH.md).
 */
const wasmFlags = ['--no-liftoff'];

/**
 * `gc()`, for `collectReleasedMemory` to give back a dropped PDFium instance's memory at once; and V8's
 * collector on the process's own thread, without helper threads. While ingesting, the parse processes
 * and the ingesting process keep both cores busy, and helpers only contend with them: without them an
 * ingest is faster and the parse processes use less CPU (measured in BENCH.md).
 */
const gcFlags = ['--expose-gc', '--single-threaded-gc'];

/** The V8 flags a parse process is started with, under a heap limit of `maxHeapMb` MiB. */
export function parseProcessExecArgv(maxHeapMb: number): string[] {
  return [
    `--max-old-space-size=${maxHeapMb}`,
    `--max-semi-space-size=${semiSpaceMb}`,
    `--heap-growing-percent=${heapGrowingPercent}`,
    ...wasmFlags,
    ...gcFlags,
  ];
}
