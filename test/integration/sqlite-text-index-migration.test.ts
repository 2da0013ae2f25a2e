import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { collectionTables } from '../../src/store/sqlite/sqlite-migrations.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { chunk, publish, register, withFixture } from '../contract/store/store-fixtures.js';

describe('SQLite store: the text index of chunks written before', () => {
  it('indexes Chinese and Japanese chunks again in pairs, and German ones by their stems, when it migrates', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sluice-fts-migration-')), 'sluice.db');
    let store = createSqliteStore({ path, textSearchThread: false });
    const fixture = await withFixture(store);
    const { collection } = fixture;
    const texts = ['将配置文件复制到家目录', 'ユーザーのホームディレクトリ', 'plain English text'];
    for (const [i, text] of texts.entries()) {
      await publish(store, (await register(fixture, `s${i}`)).id, 'att', [chunk(0, text, [1, 0, 0, 0])]);
    }
    const german = 'Die Verzeichnisse der Benutzer';
    await publish(store, (await register(fixture, 'de')).id, 'att', [chunk(0, german, [1, 0, 0, 0])], undefined, 'de');
    await store.close();
    // As chunks written before: indexed as their plain text, the data migration not yet run.
    const db = new Database(path);
    const { fullText } = collectionTables(collection.id);
    for (const row of db.prepare('SELECT id, text FROM chunks').all() as { id: number; text: string }[]) {
      db.prepare(`DELETE FROM ${fullText} WHERE rowid = ?`).run(row.id);
      db.prepare(`INSERT INTO ${fullText} (rowid, text) VALUES (?, ?)`).run(row.id, row.text);
    }
    db.prepare('DELETE FROM schema_migrations WHERE version IN (12, 15)').run();
    db.close();
    store = createSqliteStore({ path, textSearchThread: false });
    try {
      expect((await store.searchText(collection.id, '家目录', 5)).map((h) => h.text)).toEqual([texts[0]]);
      expect((await store.searchText(collection.id, 'ホームディレクトリ', 5)).map((h) => h.text)).toEqual([texts[1]]);
      expect((await store.searchText(collection.id, 'english', 5)).map((h) => h.text)).toEqual([texts[2]]);
      // A German chunk indexed before its words were stemmed by German rules: found in another form.
      expect((await store.searchText(collection.id, 'Verzeichnis', 5)).map((h) => h.text)).toEqual([german]);
    } finally {
      await store.close();
    }
  });
});
