import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  collectionSql,
  copySql,
  countedStatsSql,
  dispatchSql,
  documentSql,
  searchSql,
  tenantSql,
} from '../../src/store/sqlite/sqlite-sql.js';
import { fileProbesSql } from '../../src/store/sqlite/sqlite-usage-counts.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { register, withFixture } from '../contract/store/store-fixtures.js';

/** What SQLite plans for `sql`: the lines of EXPLAIN QUERY PLAN. */
function planOf(db: Database.Database, sql: string): string {
  const params = Object.fromEntries([...sql.matchAll(/@(\w+)/g)].map(([, name]) => [name as string, 'x']));
  const positional = (sql.match(/\?/g) ?? []).map(() => 'x');
  const statement = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const rows = (Object.keys(params).length > 0 ? statement.all(params) : statement.all(...positional)) as {
    detail: string;
  }[];
  return rows.map((r) => r.detail).join('\n');
}

describe('SQLite statements on the path of every upload and every tick, under a backlog', () => {
  it('read an index of the few documents they are about, never every queued document', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sluice-backlog-plans-')), 'sluice.db');
    const store = createSqliteStore({ path, textSearchThread: false });
    const fixture = await withFixture(store);
    for (let i = 0; i < 500; i++) {
      await register(fixture, `queued-${i}`);
    }
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      // Each upload counts its tenant's documents in flight before it dispatches.
      expect(planOf(db, dispatchSql.inFlight)).toMatch(/USING (COVERING )?INDEX documents_in_flight\b/);
      // Each reconciliation tick reads a page of the documents in flight.
      expect(planOf(db, documentSql.inFlight)).toMatch(/USING INDEX documents_in_flight_by_id/);
      // A new version of a file, and an original that ends, find their copies by the original.
      for (const sql of [copySql.promote, copySql.repoint, copySql.skip, copySql.fail]) {
        expect(planOf(db, sql)).toMatch(/USING (COVERING )?INDEX documents_by_original/);
      }
      // The dashboard's, the quotas', status's and the metrics' counts read the counters, never a
      // document or chunk row (k, u and c are the counters' and collections' aliases in them).
      const counters = [
        'document_counts',
        'collection_usage',
        'tenant_usage',
        'collections',
        'k',
        'u',
        'c',
        'CONSTANT',
      ];
      for (const sql of [
        collectionSql.documentsByState,
        collectionSql.storedBytes,
        countedStatsSql(true).byCollection,
        countedStatsSql(true).failures,
        countedStatsSql(false).byCollection,
        tenantSql.usage,
        documentSql.countByState,
        searchSql.countOf,
        searchSql.countAll,
      ]) {
        const read = [...planOf(db, sql).matchAll(/(?:SEARCH|SCAN) (\w+)/g)].map(([, table]) => table);
        expect(read.filter((t) => !counters.includes(t as string))).toEqual([]);
      }
      // What the triggers that keep them probe, for each new document: its file among its collection's
      // and its tenant's, by index.
      for (const probe of Object.values(fileProbesSql)) {
        const plan = planOf(db, `SELECT ${probe.replace(/NEW\.(\w+)/g, '@$1')}`);
        expect(plan).toMatch(/SEARCH d USING (COVERING )?INDEX documents_by_collection_blob/);
        expect(plan).not.toMatch(/SCAN (d|collections)\b/);
      }
    } finally {
      db.close();
    }
  });
});
