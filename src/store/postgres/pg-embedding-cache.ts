import type { EmbeddingCache } from '../../ports/embedding-cache.js';
import type { PgContext } from './pg-context.js';
import { embeddingCacheSql } from './pg-sql.js';

/** Vectors by (model, dimension, SHA-256 of the chunk text), so unchanged text is never embedded twice. */
export function createPgEmbeddingCache({ pool, query }: PgContext): EmbeddingCache {
  return {
    async getCachedEmbeddings(model, dimension, textHashes) {
      const rows = await query<{ text_sha256: string; vector: Buffer }>(embeddingCacheSql.get, [
        model,
        dimension,
        textHashes,
      ]);
      // Copy out of the driver's buffer, which is not guaranteed to be aligned for Float32Array.
      return new Map(rows.map((r) => [r.text_sha256, new Float32Array(new Uint8Array(r.vector).buffer)]));
    },
    async putCachedEmbeddings(model, dimension, entries) {
      if (entries.length === 0) {
        return;
      }
      await pool.query(embeddingCacheSql.put, [
        model,
        dimension,
        entries.map((e) => e.textHash),
        entries.map((e) => Buffer.from(e.vector.buffer, e.vector.byteOffset, e.vector.byteLength)),
      ]);
    },
  };
}
