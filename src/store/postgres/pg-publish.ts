import { indexedText } from '../search-text.js';
import pgvector from 'pgvector';
import { SluiceError } from '../../core/errors.js';
import { canTransition, type DocumentState } from '../../core/states.js';
import type { DocumentTransitions } from '../../ports/document-transitions.js';
import type { DocumentRow } from '../store-rows.js';
import type { PgContext } from './pg-context.js';
import { publishSql, transitionSql } from './pg-sql.js';

/** Rows written per INSERT when publishing chunks: large enough to amortise round trips, small enough for the protocol. */
const chunkInsertBatch = 500;

/**
 * Publishing: an attempt's chunks replace the document's and the document is completed, in one
 * transaction, so readers see the old chunks or the new ones, never a mix.
 */
export function createPgPublish({ transaction }: PgContext): Pick<DocumentTransitions, 'complete'> {
  return {
    complete(documentId, attemptId, mediaType, chunks, partial) {
      return transaction(async (client) => {
        // The row lock orders this publish against a concurrent claim, cancel or newer version.
        const row = (
          await client.query<DocumentRow & { dimension: number; embedder: string }>(transitionSql.lockForPublish, [
            documentId,
          ])
        ).rows[0];
        const to = partial ? 'completed_with_errors' : 'completed';
        if (!row || row.attempt_id !== attemptId || !canTransition(row.state as DocumentState, to)) {
          return false;
        }
        await client.query(publishSql.deleteChunks, [documentId]);
        for (let start = 0; start < chunks.length; start += chunkInsertBatch) {
          const slice = chunks.slice(start, start + chunkInsertBatch);
          for (const chunk of slice) {
            if (chunk.vector.length !== row.dimension) {
              throw new SluiceError(
                'embedder_mismatch',
                `A vector of ${chunk.vector.length} dimensions cannot go into a collection of ${row.dimension}`,
              );
            }
          }
          await client.query(publishSql.insertChunks, [
            documentId,
            row.collection_id,
            row.embedder,
            row.dimension,
            slice.map((c) => c.index),
            slice.map((c) => c.text),
            slice.map((c) => c.tokenCount),
            slice.map((c) => c.charStart),
            slice.map((c) => c.charEnd),
            slice.map((c) => c.page),
            slice.map((c) => pgvector.toSql(Array.from(c.vector)) as string),
            slice.map((c) => {
              const indexed = indexedText(c.text, row.language);
              return indexed === c.text ? null : indexed;
            }),
          ]);
        }
        await client.query(transitionSql.complete, [
          documentId,
          mediaType,
          chunks.length,
          partial ? 'completed_with_errors' : 'completed',
          partial?.chunksTotal ?? chunks.length,
          partial?.code ?? null,
          partial?.message ?? null,
          partial?.failedChunks ?? null,
        ]);
        return true;
      });
    },
  };
}
