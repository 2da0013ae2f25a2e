import type { DocumentTransitions } from '../../ports/document-transitions.js';
import { toDocument, type DocumentRow } from '../store-rows.js';
import { changed, type PgContext } from './pg-context.js';
import { ledgerSql, lineSql, transitionSql } from './pg-sql.js';

/** The state changes of a document but publishing (`pg-publish.ts`), which writes its chunks too. */
export type PgTransitions = Omit<DocumentTransitions, 'complete' | 'settleCopies' | 'listStrandedOriginals'>;

/**
 * Each change is one statement, allowed only from the states core's table lets the document leave
 * (see `transitionSql`) and, for an attempt's own changes, fenced by its id.
 */
export function createPgTransitions({ pool, query, one, transaction }: PgContext): PgTransitions {
  return {
    async claim(documentId, attemptId, workerId) {
      const row = await one<DocumentRow>(transitionSql.claim, [documentId, attemptId, workerId ?? null]);
      return row && toDocument(row);
    },
    countRepeatedLines(documentId, attemptId, keys, rule) {
      return transaction(async (client) => {
        const { rows } = await client.query<{ collection_id: string; lines_counted: boolean }>(lineSql.attempt, [
          documentId,
          attemptId,
        ]);
        const row = rows[0];
        if (!row) {
          return [];
        }
        if (!row.lines_counted) {
          await client.query(lineSql.count, [row.collection_id, ['', ...keys]]);
          await client.query(lineSql.counted, [documentId]);
        }
        const pages = (await client.query<{ n: number }>(lineSql.pages, [row.collection_id])).rows[0]?.n ?? 0;
        if (pages < rule.minDocuments) {
          return [];
        }
        const least = Math.max(rule.minDocuments, Math.ceil(rule.share * pages));
        const repeated = await client.query<{ key: string }>(lineSql.repeated, [row.collection_id, keys, least]);
        return repeated.rows.map((r) => r.key);
      });
    },
    async recordLanguage(documentId, attemptId, language) {
      return changed(await pool.query(ledgerSql.setLanguage, [documentId, attemptId, language]));
    },
    async recordPages(documentId, attemptId, { read, total }) {
      return changed(await pool.query(ledgerSql.setPages, [documentId, attemptId, read, total]));
    },
    async setStage(documentId, attemptId, state, progress) {
      const result = progress
        ? await pool.query(transitionSql.setStage(state, true), [
            documentId,
            attemptId,
            state,
            progress.chunksTotal,
            progress.chunksEmbedded,
          ])
        : await pool.query(transitionSql.setStage(state, false), [documentId, attemptId, state]);
      return changed(result);
    },
    async recordEmbedded(documentId, attemptId, batch, count) {
      const row = await one<{ chunks_total: number; chunks_embedded: number }>(transitionSql.recordEmbedded, [
        documentId,
        attemptId,
        batch,
        count,
      ]);
      return row && { chunksTotal: row.chunks_total, chunksEmbedded: row.chunks_embedded };
    },
    async fail(documentId, attemptId, code, message) {
      return changed(await pool.query(transitionSql.fail, [documentId, attemptId, code, message]));
    },
    async scheduleRetry(documentId, attemptId, code, message, availableAt) {
      return changed(
        await pool.query(transitionSql.scheduleRetry, [documentId, attemptId, code, message, availableAt]),
      );
    },
    async cancel(documentId) {
      const row = await one<DocumentRow>(transitionSql.cancel, [documentId]);
      return row && toDocument(row);
    },
    async requeue(filter) {
      const rows = await query<DocumentRow>(transitionSql.requeue, [
        filter.state,
        filter.batchId ?? null,
        filter.collectionId ?? null,
        filter.documentId ?? null,
      ]);
      return rows.map(toDocument).sort((a, b) => a.id.localeCompare(b.id));
    },
  };
}
