import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/ports/store.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { embeddedChunks, publishChunks } from '../helpers/publish-chunks.js';

const spec = { name: 'test', model: 'random', dimension: 4 };

const publish = (store: Store, collectionId: string, batchId: string, source: string, texts: string[]) =>
  publishChunks(
    store,
    collectionId,
    batchId,
    source,
    embeddedChunks(texts, (index) => Float32Array.from([1, 0, 0, index])),
  );

/**
 * An older document whose chunks hold "lantern" most densely (BM25's best), and one chunk the only one
 * with "zeppelin"; then a newer document with 20 chunks holding "lantern" once among other words.
 */
async function openFile() {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-rank-limit-')), 'sluice.db');
  const writer = createSqliteStore({ path });
  const tenant = await writer.ensureTenant('t');
  const collection = await writer.ensureCollection(tenant.id, 'c', spec);
  const batch = await writer.createBatch(collection.id, 'b');
  const dense = await publish(writer, collection.id, batch.id, 'dense.txt', [
    'lantern lantern lantern',
    'lantern lantern meadow',
    'lantern lantern harbor',
    'a zeppelin above the meadow',
  ]);
  const sparse = await publish(
    writer,
    collection.id,
    batch.id,
    'sparse.txt',
    Array.from({ length: 20 }, (_, i) => `lantern beside the river stone cloud orchard quill saddle ${i}`),
  );
  const open = (textRankLimit: number) => createSqliteStore({ path, textRankLimit });
  return { writer, collection, dense, sparse, open };
}

const sourcesOf = (hits: { source: string }[]): string[] => [...new Set(hits.map((h) => h.source))];

describe('SQLite full-text ranking with a limit on the matches ranked', () => {
  it('ranks every match within the limit, and only the newest matches beyond it', async () => {
    const { writer, collection, open } = await openFile();
    const unlimited = open(0);
    const wide = open(23);
    const narrow = open(10);
    const top = async (store: Store, query: string) => store.searchText(collection.id, query, 3);

    expect(sourcesOf(await top(unlimited, 'lantern'))).toEqual(['dense.txt']);
    // 23 chunks match: all of them are ranked, and the same hits come back.
    expect(await top(wide, 'lantern')).toEqual(await top(unlimited, 'lantern'));
    // The newest 10 are ranked, all of the newer document.
    const newest = await top(narrow, 'lantern');
    expect(sourcesOf(newest)).toEqual(['sparse.txt']);
    expect(newest.map((h) => h.index).every((index) => index >= 10)).toBe(true);
    // A word in no more chunks than the limit has all its matches ranked, however old they are: no
    // chunk holds both words, and the pass for any of them ranks the zeppelin's beside the newest.
    const rareFirst = await top(narrow, 'lantern zeppelin');
    expect(rareFirst[0]?.text).toBe('a zeppelin above the meadow');
    expect(sourcesOf(rareFirst.slice(1))).toEqual(['sparse.txt']);
    // The common word's matches in that pass are held to the limit: the harbor chunk holds both words,
    // and the older, denser chunks holding only "lantern" are not ranked.
    const heldToLimit = await top(narrow, 'lantern harbor');
    expect(heldToLimit[0]?.text).toBe('lantern lantern harbor');
    expect(sourcesOf(heldToLimit.slice(1))).toEqual(['sparse.txt']);
    expect(heldToLimit.slice(1).every((h) => h.index >= 10)).toBe(true);
    expect((await top(unlimited, 'lantern harbor')).map((h) => h.text)).toEqual([
      'lantern lantern harbor',
      'lantern lantern lantern',
      'lantern lantern meadow',
    ]);

    for (const store of [unlimited, wide, narrow, writer]) {
      await store.close();
    }
  });

  it('counts the limit among the matches in a search scope, not the whole collection', async () => {
    const { writer, collection, dense, open } = await openFile();
    const narrow = open(10);
    const hits = await narrow.searchText(collection.id, 'lantern', 5, { documentIds: [dense] });
    expect(hits.map((h) => h.text)).toEqual([
      'lantern lantern lantern',
      'lantern lantern meadow',
      'lantern lantern harbor',
    ]);
    await narrow.close();
    await writer.close();
  });
});
