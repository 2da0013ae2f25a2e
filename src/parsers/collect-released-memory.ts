/** Large memory was let go (a PDFium instance) that only full collections give back. */
let released = false;

/** Full collections after which a dropped PDFium instance's memory was back, each time (measured in BENCH.md). */
const collectionsToFree = 3;

/** Notes that memory was let go: the next `collectReleasedMemory` gives it back. */
export function noteReleasedMemory(): void {
  released = true;
}

/**
 * Gives back memory noted as let go, where the process may force collections (parse processes run with
 * `--expose-gc`; elsewhere this does nothing). WebAssembly memory, such as a dropped PDFium instance's,
 * returns only once V8 has collected its instance, and left to V8 a large PDF's instance stays until the
 * chunking of its text is done, under the process's peak. Collected between reading and chunking, the
 * memory is back before the text is tokenised, and the peak is lower (measured in BENCH.md). A
 * collection of a parse process's heap takes a few milliseconds.
 *
 * Its own module, not PDFium's: a parse process that never reads a PDF never loads PDFium.
 */
export async function collectReleasedMemory(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!released || gc === undefined) {
    return;
  }
  released = false;
  for (let collection = 0; collection < collectionsToFree; collection++) {
    gc();
    // V8 frees what a collection found (array buffers, WebAssembly memory) between turns.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
