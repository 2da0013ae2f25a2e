import { expect } from 'vitest';
import type { EmbeddedChunk } from '../../src/core/types.js';
import type { Store } from '../../src/ports/store.js';

/** Chunks of the texts given, in order, each with the vector `vectorOf` gives it. */
export const embeddedChunks = (texts: readonly string[], vectorOf: (index: number) => Float32Array): EmbeddedChunk[] =>
  texts.map((text, index) => ({
    index,
    text,
    tokenCount: 8,
    charStart: 0,
    charEnd: text.length,
    page: null,
    vector: vectorOf(index),
  }));

/** A document named `source` registered, claimed and published with `chunks`, as a worker would; its id. */
export async function publishChunks(
  store: Store,
  collectionId: string,
  batchId: string,
  source: string,
  chunks: EmbeddedChunk[],
): Promise<string> {
  const { document } = await store.registerDocument({ collectionId, batchId, source, sha256: source, sizeBytes: 1 });
  await store.claim(document.id, `att_${source}`);
  await store.setStage(document.id, `att_${source}`, 'indexing');
  expect(await store.complete(document.id, `att_${source}`, 'text/plain', chunks)).toBe(true);
  return document.id;
}
