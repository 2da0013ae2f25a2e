import { createHash } from 'node:crypto';
import type { Embedder } from '../ports/embedder.js';
import type { Store } from '../ports/store.js';

/**
 * Wraps an embedder with the ledger's embedding cache, keyed by (model, dimension, SHA-256 of the
 * text): a re-ingested document whose text barely changed sends only its changed chunks to the
 * model, and the same passage in two collections of one model is embedded once.
 */
export function createCachingEmbedder(inner: Embedder, store: Store): Embedder {
  const { model, dimension } = inner.spec;
  const label = `${inner.spec.name}:${model}`;
  return {
    spec: inner.spec,
    async embed(texts, signal) {
      const hashes = texts.map((text) => createHash('sha256').update(text).digest('hex'));
      const cached = await store.getCachedEmbeddings(label, dimension, [...new Set(hashes)]);
      const missing = [...new Set(hashes.filter((h) => !cached.has(h)))];
      if (missing.length > 0) {
        const textOf = new Map(hashes.map((h, i) => [h, texts[i] as string]));
        const vectors = await inner.embed(
          missing.map((h) => textOf.get(h) as string),
          signal,
        );
        const entries = missing.map((textHash, i) => ({ textHash, vector: vectors[i] as Float32Array }));
        await store.putCachedEmbeddings(label, dimension, entries);
        entries.forEach((e) => cached.set(e.textHash, e.vector));
      }
      return hashes.map((h) => cached.get(h) as Float32Array);
    },
  };
}
