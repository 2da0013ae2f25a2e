import type { EmbeddingCache } from '../../ports/embedding-cache.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { embeddingCacheSql } from './sqlite-sql.js';

/** Vectors by (model, dimension, SHA-256 of the chunk's text), so unchanged chunks are never embedded twice. */
export function createSqliteEmbeddingCache({ db, stmt }: SqliteContext): Synchronous<EmbeddingCache> {
  return {
    getCachedEmbeddings(model, dimension, textHashes) {
      const found = new Map<string, Float32Array>();
      const select = stmt<[string, number, string], { vector: Buffer }>(embeddingCacheSql.get);
      for (const hash of textHashes) {
        const row = select.get(model, dimension, hash);
        if (row) {
          // Copy out of SQLite's buffer, which is not guaranteed to be aligned for Float32Array.
          found.set(hash, new Float32Array(new Uint8Array(row.vector).buffer));
        }
      }
      return found;
    },
    putCachedEmbeddings(model, dimension, entries) {
      const insert = stmt(embeddingCacheSql.put);
      db.transaction(() => {
        for (const { textHash, vector } of entries) {
          insert.run(model, dimension, textHash, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
        }
      })();
    },
  };
}
