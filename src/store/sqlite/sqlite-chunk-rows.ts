import type { SqliteContext } from './sqlite-context.js';
import { collectionTables } from './sqlite-migrations.js';
import { chunkSql, vectorChangeSql } from './sqlite-sql.js';
import { chunkCountSql } from './sqlite-usage-counts.js';

/**
 * A document's chunk rows, published or staged by a publish in progress (`chunk_stage`), and their
 * removal with their vectors and full text. Shared by deletes, the transitions that take a document
 * over (claim, cancel) and the publish itself. Published chunks are deleted through here alone: it keeps
 * their count (`chunkCountSql`), which nothing recounts.
 */
export interface ChunkRows {
  /** A document's published chunks. */
  publishedIdsOf(documentId: string): number[];
  /** The chunks one publish (its token) has staged so far. */
  idsStagedBy(collectionId: string, documentId: string, token: string): number[];
  /** Removes chunks with their vectors and full-text rows. */
  deleteChunks(collectionId: string, ids: number[]): void;
  /** Removes published chunks; searching processes hear of it through the change log. */
  deletePublished(collectionId: string, ids: number[]): void;
  /** Removes a document's published chunks. */
  deleteChunksOf(documentId: string, collectionId: string): void;
  /**
   * Removes what unfinished publishes of a document staged, but for the one of token `keep`: an
   * attempt that died mid-publish, or one overtaken. Staged chunks were never searchable, so the
   * change log need not hear of them.
   */
  deleteStagedOf(documentId: string, collectionId: string, keep?: string): void;
}

export function createChunkRows({ stmt }: SqliteContext): ChunkRows {
  const logVectorChange = stmt<[string, number | bigint]>(vectorChangeSql.log);
  const publishedIdsOf = stmt<[string], number>(chunkSql.publishedOf).pluck();
  const stagedIdsOf = stmt<[string, string, string], number>(chunkSql.stagedByOthers).pluck();
  const idsStagedBy = stmt<[string, string, string], number>(chunkSql.stagedBy).pluck();

  const deleteChunks = (collectionId: string, ids: number[]): void => {
    const { vectors, fullText } = collectionTables(collectionId);
    const deleteVector = stmt(chunkSql.deleteVector(vectors));
    const deleteText = stmt(chunkSql.deleteText(fullText));
    const deleteChunk = stmt(chunkSql.delete);
    for (const id of ids) {
      deleteVector.run(BigInt(id));
      deleteText.run(id);
      deleteChunk.run(id);
    }
  };
  const takeOffCount = stmt<[number, string]>(chunkCountSql.takeOff);
  const deletePublished = (collectionId: string, ids: number[]): void => {
    deleteChunks(collectionId, ids);
    for (const id of ids) {
      logVectorChange.run(collectionId, id);
    }
    if (ids.length > 0) {
      takeOffCount.run(ids.length, collectionId);
    }
  };

  return {
    publishedIdsOf: (documentId) => publishedIdsOf.all(documentId),
    idsStagedBy: (collectionId, documentId, token) => idsStagedBy.all(collectionId, documentId, token),
    deleteChunks,
    deletePublished,
    deleteChunksOf: (documentId, collectionId) => deletePublished(collectionId, publishedIdsOf.all(documentId)),
    deleteStagedOf: (documentId, collectionId, keep = '') =>
      deleteChunks(collectionId, stagedIdsOf.all(collectionId, documentId, keep)),
  };
}
