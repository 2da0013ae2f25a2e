import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { documentStatsSql } from '../../src/store/document-sql.js';
import { collectionSql, copySql, dispatchSql, documentSql, tenantSql } from '../../src/store/sqlite/sqlite-sql.js';
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
      // The dashboard's and the quotas' counts read indexes, never the documents' rows.
      for (const sql of [
        collectionSql.documentsByState,
        documentStatsSql('?', '?', 'sqlite').byCollection,
        collectionSql.storedBytes,
        tenantSql.held,
      ]) {
        expect(planOf(db, sql)).toMatch(/COVERING INDEX documents_by_collection_(state|blob)/);
        expect(planOf(db, sql)).not.toMatch(/INDEX documents_by_created/);
      }
    } finally {
      db.close();
    }
  });
});
