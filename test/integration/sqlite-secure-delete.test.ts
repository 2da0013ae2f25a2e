import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { chunk, publish, spec } from '../contract/store/store-fixtures.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Files of the folder (database, write-ahead log) whose bytes hold `needle`. */
const holding = (dir: string, needle: string): string[] =>
  readdirSync(dir).filter((name) => readFileSync(join(dir, name)).includes(Buffer.from(needle)));

describe('SQLite: a deleted document leaves no byte of its text in the files once compacted', () => {
  it('overwrites deleted rows, merges the full-text segments that still hold its terms, and truncates the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-secure-delete-'));
    dirs.push(dir);
    const store = createSqliteStore({ path: join(dir, 'sluice.db'), textSearchThread: false });
    try {
      const tenant = await store.ensureTenant('t');
      const collection = await store.ensureCollection(tenant.id, 'docs', spec);
      const batch = await store.createBatch(collection.id, 'b');
      const add = async (source: string, text: string): Promise<string> => {
        const { document } = await store.registerDocument({
          collectionId: collection.id,
          batchId: batch.id,
          source,
          sha256: source,
          sizeBytes: text.length,
        });
        await publish(store, document.id, `att_${source}`, [chunk(0, text, [1, 0, 0, 0])]);
        return document.id;
      };
      // One document at a time, each published on its own, as ingestion does: several index segments.
      for (let i = 0; i < 3; i++) {
        await add(`before-${i}`, `apples pears number${i} orchard`);
      }
      const secret = await add('secret', 'the launch code is zzcanaryqq keep it');
      for (let i = 3; i < 6; i++) {
        await add(`after-${i}`, `apples pears number${i} orchard`);
      }
      await store.deleteDocument(secret);
      // Until its segments are merged, the index still holds the deleted row's terms.
      expect((await store.compact()).notDone).toEqual([]);
      expect(holding(dir, 'zzcanaryqq')).toEqual([]);
      expect(holding(dir, 'orchard').length).toBeGreaterThan(0);
      expect((await store.searchText(collection.id, 'orchard', 10)).length).toBe(6);
    } finally {
      await store.close();
    }
  });
});
