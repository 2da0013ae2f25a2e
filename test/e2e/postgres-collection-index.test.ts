import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgStore } from '../../src/store/postgres/pg-store.js';
import { spec } from '../contract/store/store-fixtures.js';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';

let server: PgServer;
beforeAll(async () => {
  server = await startPgServer();
});
afterAll(async () => {
  await server.destroy();
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

describe('a new collection on a PostgreSQL server', { timeout: 60_000 }, () => {
  it('builds its vector index without stopping writes to the chunks of every other collection', async () => {
    const url = await server.freshDatabaseUrl();
    const store = await createPgStore({ connectionString: url });
    const publishing = await connect(url);
    const writer = await connect(url);
    try {
      const tenant = await store.ensureTenant('t1');
      await store.ensureCollection(tenant.id, 'first', spec);
      // A publish of the first collection is under way: its transaction holds its write lock on chunks.
      await publishing.query('BEGIN');
      await publishing.query('LOCK TABLE chunks IN ROW EXCLUSIVE MODE');
      const created = store.ensureCollection(tenant.id, 'second', spec);
      // The index build waits for that publish to end …
      await expect
        .poll(
          async () =>
            (
              await writer.query<{ n: number }>(
                "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX%' AND wait_event_type = 'Lock'",
              )
            ).rows[0]?.n,
          { timeout: 10_000 },
        )
        .toBe(1);
      // … and meanwhile other publishes still write (a plain CREATE INDEX queues a lock that stops them).
      await writer.query("SET lock_timeout = '2s'");
      await writer.query('BEGIN');
      await expect(writer.query('LOCK TABLE chunks IN ROW EXCLUSIVE MODE')).resolves.toBeDefined();
      await writer.query('COMMIT');
      await publishing.query('COMMIT');
      const second = await created;
      const valid = await writer.query<{ valid: boolean }>(
        'SELECT i.indisvalid AS valid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1',
        [`chunks_vec_${second.id}`],
      );
      expect(valid.rows).toEqual([{ valid: true }]);
    } finally {
      await publishing.end();
      await writer.end();
      await store.close();
    }
  });

  it('builds the index of a collection whose process stopped before building it, when the collection is next used', async () => {
    const url = await server.freshDatabaseUrl();
    const store = await createPgStore({ connectionString: url });
    const db = await connect(url);
    try {
      const tenant = await store.ensureTenant('t1');
      const collection = await store.ensureCollection(tenant.id, 'docs', spec);
      await db.query(`DROP INDEX chunks_vec_${collection.id}`);
      await store.ensureCollection(tenant.id, 'docs', spec);
      const found = await db.query('SELECT 1 FROM pg_class WHERE relname = $1', [`chunks_vec_${collection.id}`]);
      expect(found.rowCount).toBe(1);
    } finally {
      await db.end();
      await store.close();
    }
  });
});
