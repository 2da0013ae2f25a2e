import { newId } from '../../core/ids.js';
import type { SourceObject } from '../../ports/object-source.js';
import type { SourceStore } from '../../ports/source-store.js';
import { toSource, type SourceRow } from '../source-rows.js';
import { changed, type PgContext } from './pg-context.js';
import { sourceSql } from './pg-sql.js';

/** Sources documents are scanned from, with the version of each object their documents hold. */
export function createPgSources({ pool, query, one }: PgContext): SourceStore {
  return {
    async ensureSource(input) {
      const row = (await one<SourceRow & { created: boolean }>(sourceSql.insert, [
        newId('src'),
        input.collectionId,
        input.type,
        input.url,
        JSON.stringify(input.include),
        JSON.stringify(input.exclude),
      ])) as SourceRow & { created: boolean };
      return { source: toSource(row), created: row.created };
    },
    async getSource(id) {
      const row = await one<SourceRow>(sourceSql.byId, [id]);
      return row && toSource(row);
    },
    async listSources(collectionId) {
      return (await query<SourceRow>(sourceSql.ofCollection, [collectionId])).map((row) => toSource(row));
    },
    async deleteSource(id) {
      return changed(await pool.query(sourceSql.delete, [id]));
    },
    async claimScan(sourceId, report, staleBefore, replacing) {
      return changed(
        await pool.query(sourceSql.claim, [JSON.stringify(report), sourceId, staleBefore, replacing ?? null]),
      );
    },
    async updateScan(sourceId, report) {
      return changed(await pool.query(sourceSql.update, [JSON.stringify(report), sourceId, report.id]));
    },
    async unchangedObjects(sourceId, scanId, objects) {
      const rows = await query<{ key: string }>(sourceSql.unchanged, [
        sourceId,
        scanId,
        objects.map((o) => o.key),
        objects.map((o) => o.etag),
        objects.map((o) => o.sizeBytes),
        objects.map((o) => o.lastModified),
      ]);
      return new Set(rows.map((r) => r.key));
    },
    async recordObject(sourceId, scanId, o, documentId) {
      await pool.query(sourceSql.record, [sourceId, o.key, o.etag, o.sizeBytes, o.lastModified, documentId, scanId]);
    },
    async seeObject(sourceId, scanId, key) {
      await pool.query(sourceSql.see, [scanId, sourceId, key]);
    },
    unseenObjects(sourceId, scanId, limit) {
      return query<{ key: string; documentId: string }>(sourceSql.unseen, [sourceId, scanId, limit]);
    },
    async objectDocument(sourceId, key) {
      return (await one<{ document_id: string }>(sourceSql.documentOf, [sourceId, key]))?.document_id;
    },
    seenCopiesOf(sourceId, scanId, documentId) {
      return query<SourceObject & Record<string, unknown>>(sourceSql.seenCopies, [sourceId, scanId, documentId]);
    },
    async forgetObject(sourceId, key) {
      await pool.query(sourceSql.forget, [sourceId, key]);
    },
  };
}
