import type { DocumentTransitions } from '../../ports/document-transitions.js';
import { toDocument, type DocumentRow } from '../store-rows.js';
import type { ChunkRows } from './sqlite-chunk-rows.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { documentFilterSql, documentSql, lineSql, transitionSql } from './sqlite-sql.js';

/**
 * A document's state changes but its publish (`sqlite-publish.ts`), each one statement or one
 * transaction. Those of an attempt are fenced by its id, and every move is one core's table of allowed
 * transitions lets through (`document-sql.ts`).
 */
export function createSqliteTransitions(
  { db, stmt, now }: SqliteContext,
  chunkRows: ChunkRows,
): Synchronous<Omit<DocumentTransitions, 'complete' | 'settleCopies' | 'listStrandedOriginals'>> {
  /** A new attempt takes a document over; whatever an earlier one left staged (it died mid-publish) goes. */
  const claim = db.transaction((documentId: string, attemptId: string, workerId: string | undefined) => {
    const row = stmt<[{ attemptId: string; now: string; documentId: string; workerId: string | null }], DocumentRow>(
      transitionSql.claim,
    ).get({ attemptId, now: now(), documentId, workerId: workerId ?? null });
    if (row) {
      chunkRows.deleteStagedOf(documentId, row.collection_id);
    }
    return row && toDocument(row);
  });

  /** A cancel stops a publish between two slices: its next one finds the document cancelled, and what it staged is gone. */
  const cancel = db.transaction((documentId: string) => {
    const at = now();
    const row = stmt<[string, string, string], DocumentRow>(transitionSql.cancel).get(at, at, documentId);
    if (row) {
      chunkRows.deleteStagedOf(documentId, row.collection_id);
    }
    return row && toDocument(row);
  });

  const countRepeatedLines = db.transaction(
    (documentId: string, attemptId: string, keys: readonly string[], rule: { share: number; minDocuments: number }) => {
      const row = stmt<[string, string], { collection_id: string; lines_counted: number }>(lineSql.attempt).get(
        documentId,
        attemptId,
      );
      if (!row) {
        return [];
      }
      if (!row.lines_counted) {
        for (const key of ['', ...keys]) {
          stmt(lineSql.count).run(row.collection_id, key);
        }
        stmt(lineSql.counted).run(documentId);
      }
      const pages = (stmt(lineSql.pages).pluck().get(row.collection_id) as number | undefined) ?? 0;
      if (pages < rule.minDocuments) {
        return [];
      }
      const least = Math.max(rule.minDocuments, Math.ceil(rule.share * pages));
      return stmt(lineSql.repeated).pluck().all(row.collection_id, JSON.stringify(keys), least) as string[];
    },
  );

  const recordEmbedded = db.transaction((documentId: string, attemptId: string, batch: number, count: number) => {
    type Progress = { chunks_total: number; chunks_embedded: number };
    const params = { documentId, attemptId, batch, count, now: now() };
    const row =
      stmt<[typeof params], Progress>(transitionSql.addEmbedded).get(params) ??
      // Counted already (a second delivery of the batch), or stale: then there is no row.
      stmt<[typeof params], Progress>(transitionSql.embedded).get(params);
    return row && { chunksTotal: row.chunks_total, chunksEmbedded: row.chunks_embedded };
  });

  return {
    claim(documentId, attemptId, workerId) {
      return claim.immediate(documentId, attemptId, workerId);
    },
    setStage(documentId, attemptId, state, progress) {
      const { changes } = stmt(transitionSql.setStage(state, progress !== undefined)).run({
        id: documentId,
        attemptId,
        state,
        now: now(),
        ...progress,
      });
      return changes === 1;
    },
    countRepeatedLines(documentId, attemptId, keys, rule) {
      return countRepeatedLines.immediate(documentId, attemptId, keys, rule);
    },
    recordLanguage(documentId, attemptId, language) {
      return stmt(documentSql.setLanguage).run(language, documentId, attemptId).changes === 1;
    },
    recordPages(documentId, attemptId, { read, total }) {
      return stmt(documentSql.setPages).run(read, total, documentId, attemptId).changes === 1;
    },
    recordEmbedded(documentId, attemptId, batch, count) {
      return recordEmbedded.immediate(documentId, attemptId, batch, count);
    },
    fail(documentId, attemptId, code, message) {
      const { changes } = stmt(transitionSql.fail).run({ id: documentId, attemptId, code, message, now: now() });
      return changes === 1;
    },
    scheduleRetry(documentId, attemptId, code, message, availableAt) {
      const { changes } = stmt(transitionSql.scheduleRetry).run({
        id: documentId,
        attemptId,
        code,
        message,
        availableAt: availableAt.toISOString(),
        now: now(),
      });
      return changes === 1;
    },
    cancel(documentId) {
      return cancel.immediate(documentId);
    },
    requeue(filter) {
      const where = [documentFilterSql.state];
      for (const key of ['batchId', 'collectionId', 'documentId'] as const) {
        if (filter[key] !== undefined) {
          where.push(documentFilterSql[key]);
        }
      }
      const rows = stmt<[Record<string, unknown>], DocumentRow>(transitionSql.requeue(where)).all({
        state: filter.state,
        batchId: filter.batchId,
        collectionId: filter.collectionId,
        documentId: filter.documentId,
        now: now(),
      });
      return rows.map(toDocument);
    },
  };
}
