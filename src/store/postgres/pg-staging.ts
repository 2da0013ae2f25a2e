import type { Chunk } from '../../core/types.js';
import type { ChunkStaging } from '../../ports/chunk-staging.js';
import { vectorFromBytes, vectorToBytes } from '../vector-bytes.js';
import type { PgContext } from './pg-context.js';
import { stagingSql } from './pg-sql.js';

/** An attempt's chunks and vectors between fan-out and fan-in. */
export function createPgStaging({ pool, query, transaction }: PgContext): ChunkStaging {
  return {
    stageChunks(documentId, attemptId, chunks) {
      return transaction(async (client) => {
        if ((await client.query(stagingSql.isCurrent, [documentId, attemptId])).rowCount === 0) {
          return false;
        }
        await client.query(stagingSql.dropOf, [documentId]);
        await client.query(stagingSql.insert, [
          documentId,
          attemptId,
          chunks.map((c) => c.index),
          chunks.map((c) => c.text),
          chunks.map((c) => c.tokenCount),
          chunks.map((c) => c.charStart),
          chunks.map((c) => c.charEnd),
          chunks.map((c) => c.page),
        ]);
        return true;
      });
    },
    stagedChunks(documentId, attemptId, from, to) {
      return query<Chunk & Record<string, unknown>>(stagingSql.range, [documentId, attemptId, from, to]);
    },
    async stageVectors(documentId, attemptId, vectors) {
      const { rowCount } = await pool.query(stagingSql.setVectors, [
        documentId,
        attemptId,
        vectors.map((v) => v.index),
        vectors.map((v) => vectorToBytes(v.vector)),
      ]);
      return (rowCount ?? 0) > 0 || vectors.length === 0;
    },
    async embeddedChunks(documentId, attemptId) {
      const rows = await query<Chunk & { vector: Buffer }>(stagingSql.embedded, [documentId, attemptId]);
      return rows.map((row) => ({ ...row, vector: vectorFromBytes(row.vector) }));
    },
    async dropStagedChunks(documentId) {
      await pool.query(stagingSql.dropOf, [documentId]);
    },
  };
}
