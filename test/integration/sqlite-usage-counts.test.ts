import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EmbeddedChunk } from '../../src/core/types.js';
import type { Store } from '../../src/ports/store.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { chunk, publish, register, spec, withFixture, type Fixture } from '../contract/store/store-fixtures.js';

/** What the stats counted before there were counters: every document and chunk row, grouped. */
const recountSql = {
  states: `SELECT d.collection_id, d.state, count(*) AS n FROM documents d JOIN collections c ON c.id = d.collection_id
    GROUP BY 1, 2 ORDER BY 1, 2`,
  failures: `SELECT c.tenant_id, d.error_code, count(*) AS n FROM documents d JOIN collections c ON c.id = d.collection_id
    WHERE d.state = 'failed' GROUP BY 1, 2 ORDER BY 1, 2`,
  collections: `SELECT c.id,
      (SELECT coalesce(sum(size_bytes), 0) FROM (SELECT DISTINCT sha256, size_bytes FROM documents
        WHERE collection_id = c.id AND sha256 != '')) AS stored_bytes,
      (SELECT count(*) FROM chunks WHERE collection_id = c.id) - (SELECT count(*) FROM chunk_stage WHERE collection_id = c.id) AS chunks
    FROM collections c ORDER BY c.id`,
  tenants: `SELECT t.id,
      (SELECT coalesce(sum(size_bytes), 0) FROM (SELECT DISTINCT d.sha256, d.size_bytes FROM documents d
        JOIN collections c ON c.id = d.collection_id WHERE c.tenant_id = t.id AND d.sha256 != '')) AS stored_bytes
    FROM tenants t ORDER BY t.id`,
};

/** The same figures from the counters, in the same shape. */
const countedSql = {
  states: `SELECT k.collection_id, k.state, sum(k.documents) AS n FROM document_counts k JOIN collections c ON c.id = k.collection_id
    GROUP BY 1, 2 HAVING n > 0 ORDER BY 1, 2`,
  failures: `SELECT c.tenant_id, nullif(k.error_code, '') AS error_code, sum(k.documents) AS n
    FROM document_counts k JOIN collections c ON c.id = k.collection_id
    WHERE k.state = 'failed' GROUP BY 1, 2 HAVING n > 0 ORDER BY 1, 2`,
  collections: `SELECT c.id, coalesce(u.stored_bytes, 0) AS stored_bytes, coalesce(u.chunks, 0) AS chunks
    FROM collections c LEFT JOIN collection_usage u ON u.collection_id = c.id ORDER BY c.id`,
  tenants: `SELECT t.id, coalesce(u.stored_bytes, 0) AS stored_bytes
    FROM tenants t LEFT JOIN tenant_usage u ON u.tenant_id = t.id ORDER BY t.id`,
  /** Counter rows of collections or tenants that are gone. */
  leftOver: `SELECT (SELECT count(*) FROM document_counts WHERE collection_id NOT IN (SELECT id FROM collections))
    + (SELECT count(*) FROM collection_usage WHERE collection_id NOT IN (SELECT id FROM collections))
    + (SELECT count(*) FROM tenant_usage WHERE tenant_id NOT IN (SELECT id FROM tenants))`,
};

type Figures = Record<keyof typeof recountSql, unknown[]>;

const read = (db: Database.Database, sql: Record<keyof typeof recountSql, string>): Figures => ({
  states: db.prepare(sql.states).all(),
  failures: db.prepare(sql.failures).all(),
  collections: db.prepare(sql.collections).all(),
  tenants: db.prepare(sql.tenants).all(),
});

/** Counters and recount in one snapshot of the file, as a plain connection sees it between two transactions. */
function expectCountersToMatchRecount(db: Database.Database, step: string): void {
  const { counted, recounted, leftOver } = db.transaction(() => ({
    counted: read(db, countedSql),
    recounted: read(db, recountSql),
    leftOver: db.prepare(countedSql.leftOver).pluck().get(),
  }))();
  expect({ step, ...counted, leftOver }).toEqual({ step, ...recounted, leftOver: 0 });
}

const chunksOf = (word: string, count: number): EmbeddedChunk[] =>
  Array.from({ length: count }, (_, i) => chunk(i, `${word} ${i}`, [1, i % 7, 0, 1]));

/** Claims a document and moves it to `indexing`, where a publish starts. */
async function toIndexing(store: Store, documentId: string, attemptId: string): Promise<void> {
  await store.claim(documentId, attemptId);
  await store.setStage(documentId, attemptId, 'indexing');
}

/** A file with a tenant, a collection and a batch, and a plain connection on it. */
async function openFile(prefix: string) {
  const path = join(mkdtempSync(join(tmpdir(), prefix)), 'sluice.db');
  const store = createSqliteStore({ path, textSearchThread: false });
  const fixture = await withFixture(store);
  return { path, store, fixture, raw: new Database(path) };
}

const ids = ({ collection, batch }: Fixture) => ({ collectionId: collection.id, batchId: batch.id });

/** Documents in every state that counts, files shared by copies, by two collections and by two tenants, and chunks. */
async function fill(fixture: Fixture): Promise<void> {
  const { store, tenant } = fixture;
  const done = await register(fixture, 'done.txt', { sha256: 'x', sizeBytes: 10 });
  await register(fixture, 'waiting-copy.txt', { sha256: 'x', sizeBytes: 10 });
  await publish(store, done.id, 'att_d', chunksOf('done', 3));
  await store.settleCopies(done.id);
  await register(fixture, 'late-copy.txt', { sha256: 'x', sizeBytes: 10 });
  const broken = await register(fixture, 'broken.pdf', { sha256: 'b', sizeBytes: 20 });
  await store.claim(broken.id, 'att_b');
  await store.fail(broken.id, 'att_b', 'corrupt_file', 'bad');
  await store.claim((await register(fixture, 'running.txt', { sha256: 'r', sizeBytes: 5 })).id, 'att_r');
  await store.cancel((await register(fixture, 'cancelled.txt', { sha256: 'c', sizeBytes: 7 })).id);
  await store.recordRejected({
    ...ids(fixture),
    source: 'huge.bin',
    sizeBytes: 999,
    code: 'file_too_large',
    message: 'big',
  });
  const second = await store.ensureCollection(tenant.id, 'second', spec);
  const inSecond = { store, collection: second, batch: await store.createBatch(second.id, 'b') };
  await publish(
    store,
    (await register(inSecond, 'done.txt', { sha256: 'x', sizeBytes: 10 })).id,
    'att_s',
    chunksOf('s', 2),
  );
  const other = await store.ensureTenant('t2');
  const theirs = await store.ensureCollection(other.id, 'theirs', spec);
  await register({ store, collection: theirs, batch: await store.createBatch(theirs.id, 'b') }, 'x.txt', {
    sha256: 'x',
    sizeBytes: 10,
  });
}

describe('SQLite store: counters of what collections and tenants hold', () => {
  it('agree with a recount of the rows at every step, also while a publish is written in slices and when one is cancelled', async () => {
    const { store, fixture, raw } = await openFile('sluice-counts-');
    try {
      const { collection, tenant } = fixture;
      expectCountersToMatchRecount(raw, 'empty');
      await fill(fixture);
      expectCountersToMatchRecount(raw, 'filled');

      // A publish long enough for several slices: its staged chunks are not counted until it ends.
      const long = await register(fixture, 'long.txt', { sha256: 'long', sizeBytes: 100 });
      await toIndexing(store, long.id, 'att_long');
      let finished = false;
      const publishing = store.complete(long.id, 'att_long', 'text/plain', chunksOf('long', 1500)).finally(() => {
        finished = true;
      });
      let stagedSeen = 0;
      while (!finished) {
        expectCountersToMatchRecount(raw, 'publishing');
        stagedSeen += raw.prepare('SELECT count(*) FROM chunk_stage').pluck().get() === 0 ? 0 : 1;
        await tick();
      }
      expect(await publishing).toBe(true);
      expect(stagedSeen).toBeGreaterThan(0);
      expect(await store.countChunks(collection.id)).toBe(3 + 1500);
      expectCountersToMatchRecount(raw, 'published in slices');

      // A new version whose publish is cancelled half-way: what it staged goes, the old chunks stay.
      expect((await register(fixture, 'long.txt', { sha256: 'long-2', sizeBytes: 50 })).id).toBe(long.id);
      await toIndexing(store, long.id, 'att_long_2');
      let settled = false;
      const cancelled = store.complete(long.id, 'att_long_2', 'text/plain', chunksOf('again', 1500)).finally(() => {
        settled = true;
      });
      while (!settled && raw.prepare('SELECT count(*) FROM chunk_stage').pluck().get() === 0) {
        await tick();
      }
      expectCountersToMatchRecount(raw, 'new version staged');
      await store.cancel(long.id);
      expect(await cancelled).toBe(false);
      expect(await store.countChunks(collection.id)).toBe(3 + 1500);
      expectCountersToMatchRecount(raw, 'publish cancelled');

      // Many documents in one statement: queued again by hand, then a collection and a tenant deleted.
      expect((await store.requeue({ collectionId: collection.id, state: 'cancelled' })).length).toBe(2);
      expectCountersToMatchRecount(raw, 'requeued');
      const done = (await store.listDocuments({ collectionId: collection.id, state: 'completed' }))[0]!;
      await store.deleteDocument(done.id);
      expectCountersToMatchRecount(raw, 'document deleted with its two skipped copies');
      await store.deleteCollection(collection.id);
      expectCountersToMatchRecount(raw, 'collection deleted');
      await store.deleteTenant(tenant.id);
      expectCountersToMatchRecount(raw, 'tenant deleted');
      expect(await store.countChunks()).toBe(0);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('are filled from the rows of a database made before them, a publish in progress included, and kept from there', async () => {
    const { path, store, fixture, raw } = await openFile('sluice-counts-migration-');
    await fill(fixture);
    const before = {
      usage: await store.getTenantUsage(fixture.tenant.id),
      collection: await store.getCollectionStats(fixture.collection.id),
      chunks: await store.countChunks(fixture.collection.id),
      stats: await store.documentStats(fixture.tenant.id, []),
    };
    await store.close();
    // As a file of the version before: no counters, and a publish staged half-way when it stopped.
    raw.exec(`
      DROP TABLE document_counts; DROP TABLE collection_usage; DROP TABLE tenant_usage;
      DELETE FROM schema_migrations WHERE version = 17;`);
    const triggers = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'counts_%'");
    for (const name of triggers.pluck().all() as string[]) {
      raw.exec(`DROP TRIGGER ${name}`);
    }
    raw
      .prepare(
        "INSERT INTO chunk_stage (chunk_id, collection_id, document_id, token) SELECT id, collection_id, document_id, 'tok' FROM chunks WHERE collection_id = ? LIMIT 1",
      )
      .run(fixture.collection.id);
    const reopened = createSqliteStore({ path, textSearchThread: false });
    try {
      expectCountersToMatchRecount(raw, 'migrated');
      expect(await reopened.getTenantUsage(fixture.tenant.id)).toEqual({
        ...before.usage,
        chunks: before.usage.chunks - 1,
      });
      expect(await reopened.getCollectionStats(fixture.collection.id)).toEqual(before.collection);
      expect(await reopened.countChunks(fixture.collection.id)).toBe(before.chunks - 1);
      expect(await reopened.documentStats(fixture.tenant.id, [])).toEqual(before.stats);

      // Kept from there: a new file and a copy arrive, a document goes. (A publish that ends is counted
      // by the store's publish, which the test above follows through the store itself.)
      const reopenedFixture = { ...fixture, store: reopened };
      await register(reopenedFixture, 'new.txt', { sha256: 'n', sizeBytes: 3 });
      await register(reopenedFixture, 'new-copy.txt', { sha256: 'n', sizeBytes: 3 });
      const broken = (await reopened.listDocuments({ collectionId: fixture.collection.id, state: 'failed' }))[0]!;
      await reopened.deleteDocument(broken.id);
      expectCountersToMatchRecount(raw, 'kept after the migration');
    } finally {
      raw.close();
      await reopened.close();
    }
  });
});
