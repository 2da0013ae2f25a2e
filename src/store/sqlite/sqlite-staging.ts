import type { Chunk } from '../../core/types.js';
import type { ChunkStaging } from '../../ports/chunk-staging.js';
import { vectorFromBytes, vectorToBytes } from '../vector-bytes.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { stagingSql } from './sqlite-sql.js';

/** An attempt's chunks and vectors between fan-out and fan-in. */
export function createSqliteStaging({ db, stmt }: SqliteContext): Synchronous<ChunkStaging> {
  const stage = db.transaction((documentId: string, attemptId: string, chunks: readonly Chunk[]): boolean => {
    if (!stmt(stagingSql.isCurrent).get(documentId, attemptId)) {
      return false;
    }
    stmt(stagingSql.dropOf).run(documentId);
    const insert = stmt(stagingSql.insert);
    for (const c of chunks) {
      insert.run(documentId, attemptId, c.index, c.text, c.tokenCount, c.charStart, c.charEnd, c.page);
    }
    return true;
  });
  const setVectors = db.transaction(
    (documentId: string, attemptId: string, vectors: readonly { index: number; vector: Float32Array }[]) => {
      const set = stmt(stagingSql.setVector);
      let changed = 0;
      for (const { index, vector } of vectors) {
        changed += set.run(vectorToBytes(vector), documentId, attemptId, index).changes;
      }
      return changed > 0 || vectors.length === 0;
    },
  );
  return {
    stageChunks: (documentId, attemptId, chunks) => stage.immediate(documentId, attemptId, chunks),
    stagedChunks(documentId, attemptId, from, to) {
      return stmt<[string, string, number, number], Chunk>(stagingSql.range).all(documentId, attemptId, from, to);
    },
    stageVectors: (documentId, attemptId, vectors) => setVectors.immediate(documentId, attemptId, vectors),
    embeddedChunks(documentId, attemptId) {
      return stmt<[string, string], Chunk & { vector: Buffer }>(stagingSql.embedded)
        .all(documentId, attemptId)
        .map((row) => ({ ...row, vector: vectorFromBytes(row.vector) }));
    },
    dropStagedChunks(documentId) {
      stmt(stagingSql.dropOf).run(documentId);
    },
  };
}
