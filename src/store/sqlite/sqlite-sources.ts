import { newId } from '../../core/ids.js';
import type { SourceObject } from '../../ports/object-source.js';
import type { SourceStore } from '../../ports/source-store.js';
import { toSource, type SourceRow } from '../source-rows.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { sourceSql } from './sqlite-sql.js';

/** Sources documents are scanned from, with the version of each object their documents hold. */
export function createSqliteSources({ db, stmt, now }: SqliteContext): Synchronous<SourceStore> {
  const byId = (id: string) => {
    const row = stmt<[string], SourceRow>(sourceSql.byId).get(id);
    return row && toSource(row);
  };
  const ensure = db.transaction((input: Parameters<SourceStore['ensureSource']>[0]) => {
    const existing = stmt<[string, string], SourceRow>(sourceSql.byUrl).get(input.collectionId, input.url);
    stmt(sourceSql.insert).run(
      newId('src'),
      input.collectionId,
      input.type,
      input.url,
      JSON.stringify(input.include),
      JSON.stringify(input.exclude),
      now(),
    );
    const row = stmt<[string, string], SourceRow>(sourceSql.byUrl).get(input.collectionId, input.url) as SourceRow;
    return { source: toSource(row), created: existing === undefined };
  });
  const unchanged = db.transaction((sourceId: string, scanId: string, objects: readonly SourceObject[]) => {
    const mark = stmt(sourceSql.unchanged);
    const keys = new Set<string>();
    for (const o of objects) {
      if (mark.run(scanId, sourceId, o.key, o.etag, o.sizeBytes, o.lastModified).changes > 0) {
        keys.add(o.key);
      }
    }
    return keys;
  });
  return {
    ensureSource: (input) => ensure.immediate(input),
    getSource: byId,
    listSources(collectionId) {
      return stmt<[string], SourceRow>(sourceSql.ofCollection)
        .all(collectionId)
        .map((row) => toSource(row));
    },
    deleteSource(id) {
      return stmt(sourceSql.delete).run(id).changes > 0;
    },
    claimScan(sourceId, report, staleBefore, replacing) {
      const claim = stmt(sourceSql.claim);
      return (
        claim.run(JSON.stringify(report), now(), sourceId, staleBefore.toISOString(), replacing ?? null).changes > 0
      );
    },
    updateScan(sourceId, report) {
      return stmt(sourceSql.update).run(JSON.stringify(report), now(), sourceId, report.id).changes > 0;
    },
    unchangedObjects: (sourceId, scanId, objects) => unchanged.immediate(sourceId, scanId, objects),
    recordObject(sourceId, scanId, o, documentId) {
      stmt(sourceSql.record).run(sourceId, o.key, o.etag, o.sizeBytes, o.lastModified, documentId, scanId);
    },
    seeObject(sourceId, scanId, key) {
      stmt(sourceSql.see).run(scanId, sourceId, key);
    },
    unseenObjects(sourceId, scanId, limit) {
      return stmt<[string, string, number], { key: string; documentId: string }>(sourceSql.unseen).all(
        sourceId,
        scanId,
        limit,
      );
    },
    objectDocument(sourceId, key) {
      return stmt<[string, string], string>(sourceSql.documentOf).pluck().get(sourceId, key);
    },
    seenCopiesOf(sourceId, scanId, documentId) {
      return stmt<[string, string, string], SourceObject>(sourceSql.seenCopies).all(sourceId, scanId, documentId);
    },
    forgetObject(sourceId, key) {
      stmt(sourceSql.forget).run(sourceId, key);
    },
  };
}
