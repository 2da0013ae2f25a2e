import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgStore } from '../../src/store/postgres/pg-store.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { describeStoreContract } from './store-contract.js';
import { chunk, publish, register, withFixture } from './store/store-fixtures.js';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(() => postgres.stop());

describeStoreContract('postgres', async () => createPgStore({ connectionString: await postgres.freshDatabaseUrl() }));

describe('PostgreSQL store: full-text layout', () => {
  it('keeps each chunk’s tsvector in its row, and still takes one too large for a page', async () => {
    const url = await postgres.freshDatabaseUrl();
    const store = await createPgStore({ connectionString: url });
    const tenant = await store.ensureTenant('t1');
    const collection = await store.ensureCollection(tenant.id, 'docs', { name: 'hash', model: 'test', dimension: 4 });
    const batch = await store.createBatch(collection.id, 'test');
    const { document } = await store.registerDocument({
      collectionId: collection.id,
      batchId: batch.id,
      source: 'a',
      sha256: 'a',
      sizeBytes: 1,
    });
    await store.claim(document.id, 'att');
    // Published from `indexing`, as the pipeline does (core's table allows no other state).
    await store.setStage(document.id, 'att', 'indexing');
    // 3,000 distinct words: a tsvector of about 40 kB, more than a page holds, so it must leave the row.
    const words = Array.from({ length: 3000 }, (_, i) => `word${i.toString(36)}x`);
    const text = `needle ${words.join(' ')}`;
    const vector = new Float32Array([1, 0, 0, 0]);
    await store.complete(document.id, 'att', 'text/plain', [
      { index: 0, text: 'a short needle chunk', tokenCount: 4, charStart: 0, charEnd: 20, page: null, vector },
      { index: 1, text, tokenCount: 6000, charStart: 21, charEnd: 21 + text.length, page: null, vector },
    ]);
    expect(
      (await store.searchText(collection.id, 'needle', 5)).map((h) => h.text.length).sort((a, b) => a - b),
    ).toEqual([20, text.length]);
    expect((await store.searchText(collection.id, words[2999] as string, 5)).map((h) => h.text)).toEqual([text]);
    await store.close();

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // Ranking reads the tsvector of every match: TOAST takes the text and the vector before it.
      const { rows } = await client.query<{ attstorage: string; reloptions: string[] }>(
        `SELECT a.attstorage, c.reloptions FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          WHERE a.attrelid = 'chunks'::regclass AND a.attname = 'tsv'`,
      );
      expect(rows).toEqual([{ attstorage: 'm', reloptions: ['toast_tuple_target=4080'] }]);
    } finally {
      await client.end();
    }
  });

  it('gives chunks written before Chinese text was indexed in pairs, or German words by their stems, their indexed form when it migrates', async () => {
    const url = await postgres.freshDatabaseUrl();
    let store = await createPgStore({ connectionString: url });
    const fixture = await withFixture(store);
    const { collection } = fixture;
    const text = '将配置文件复制到家目录';
    await publish(store, (await register(fixture, 'zh')).id, 'att', [chunk(0, text, [1, 0, 0, 0])]);
    const german = 'Die Verzeichnisse der Benutzer';
    await publish(store, (await register(fixture, 'de')).id, 'att', [chunk(0, german, [1, 0, 0, 0])], undefined, 'de');
    await store.close();
    // As a chunk written before: no indexed form, and the data migration not yet run.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('UPDATE chunks SET search_text = NULL');
    await client.query('DELETE FROM schema_migrations WHERE version IN (11, 14)');
    await client.end();
    store = await createPgStore({ connectionString: url });
    try {
      expect((await store.searchText(collection.id, '家目录', 5)).map((h) => h.text)).toEqual([text]);
      // A German chunk indexed before its words were stemmed by German rules: found in another form.
      expect((await store.searchText(collection.id, 'Verzeichnis', 5)).map((h) => h.text)).toEqual([german]);
    } finally {
      await store.close();
    }
  });
});
