import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EmbeddedChunk } from '../../src/core/types.js';
import type { SearchHit } from '../../src/core/types.js';
import { searchFullText, type FullTextRequest } from '../../src/store/sqlite/search/full-text-search.js';
import { openSearchConnection, searchMmapBytes } from '../../src/store/sqlite/search/search-connection.js';
import { collectionTables } from '../../src/store/sqlite/sqlite-migrations.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { statementCache } from '../../src/store/sqlite/statement-cache.js';
import { createTextSearchThread } from '../../src/store/sqlite/search/text-search-host.js';
import { prng } from '../helpers/prng.js';
import { embeddedChunks, publishChunks } from '../helpers/publish-chunks.js';

const spec = { name: 'test', model: 'random', dimension: 4 };
const random = prng(20261205);
const words = 'river stone cloud lantern meadow harbor copper violet thunder orchard quill saddle'.split(' ');

/** Chunks of a few words each drawn from a small vocabulary, so that queries match many with different scores. */
const chunksOf = (count: number, extra = ''): EmbeddedChunk[] =>
  embeddedChunks(
    Array.from({ length: count }, () =>
      `${Array.from({ length: 3 + Math.floor(random() * 8) }, () => words[Math.floor(random() * words.length)]).join(' ')} ${extra}`.trim(),
    ),
    () => Float32Array.from([1, 0, 0, random()]),
  );

async function openFile() {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-text-thread-')), 'sluice.db');
  const store = createSqliteStore({ path, textSearchThread: false });
  const tenant = await store.ensureTenant('t');
  const collection = await store.ensureCollection(tenant.id, 'c', spec);
  const batch = await store.createBatch(collection.id, 'b');
  await publishChunks(store, collection.id, batch.id, 'first.txt', chunksOf(300));
  const request = (query: string, k = 20): FullTextRequest => ({
    fullText: collectionTables(collection.id).fullText,
    collectionId: collection.id,
    terms: query.split(' ').map((word) => [word]),
    k,
    rankLimit: 0,
  });
  return { path, store, collection, batch, request };
}

const notHere = (): SearchHit[] => {
  throw new Error('searched on the calling thread');
};

describe('SQLite full-text search on its own thread', () => {
  it('searches on the thread once it is ready, as the calling thread would, and sees writes committed after it started', async () => {
    const { path, store, collection, batch, request } = await openFile();
    const thread = createTextSearchThread(path);
    expect(await thread.ready()).toBe(true);
    const connection = openSearchConnection(path, searchMmapBytes.text);
    const local = statementCache(connection);
    const here = (query: string, k?: number) => searchFullText(connection, local, request(query, k));
    for (const query of ['river', 'stone cloud', 'lantern meadow harbor', 'copper nothing', 'absent']) {
      const rows = await thread.search(request(query), notHere);
      expect(rows).toEqual(here(query));
      expect(rows.length).toBe(query === 'absent' ? 0 : 20);
    }
    // Many searches in flight at once are each answered with their own rows.
    const queries = words.map((word, i) => `${word} ${words[(i + 5) % words.length]}`);
    const answers = await Promise.all(queries.map((query) => thread.search(request(query, 7), notHere)));
    expect(answers).toEqual(queries.map((query) => here(query, 7)));

    await publishChunks(store, collection.id, batch.id, 'second.txt', chunksOf(5, 'zeppelin'));
    expect((await thread.search(request('zeppelin'), notHere)).length).toBe(5);
    await thread.close();
    await store.close();
  });

  it('searches on the calling thread when the thread cannot start or open the file, and once it is closed', async () => {
    const { path, store, request } = await openFile();
    const here: SearchHit[] = [
      {
        chunkId: 1,
        documentId: 'doc',
        source: 'a.txt',
        index: 0,
        text: 'here',
        charStart: 0,
        charEnd: 4,
        page: null,
        score: 2,
        mediaType: null,
        language: null,
        metadata: {},
      },
    ];
    const failures: unknown[] = [];
    const onFailed = (error: unknown) => failures.push(error);
    const unopenable = createTextSearchThread(join(path, 'not-a-directory', 'sluice.db'), { onFailed });
    // The first search starts the thread and waits for it.
    expect(await unopenable.search(request('river'), () => here)).toBe(here);
    expect(await unopenable.ready()).toBe(false);
    expect(await unopenable.search(request('river'), () => here)).toBe(here);
    // Errors of the calling thread's search reach the caller.
    await expect(unopenable.search(request('river'), notHere)).rejects.toThrow('searched on the calling thread');
    await unopenable.close();
    expect(failures).toHaveLength(1);
    expect(String(failures[0])).toMatch(/Cannot open database because the directory does not exist/);
    // Nor is a search lost when the thread's script is missing (the thread exits at once) or its path
    // is refused (no thread at all).
    for (const script of [join(path, 'no-such-script.js'), 'no-such-script.js']) {
      const scriptless = createTextSearchThread(path, { script, onFailed });
      expect(await scriptless.search(request('river'), () => here)).toBe(here);
      expect(await scriptless.ready()).toBe(false);
      await scriptless.close();
    }
    expect(failures).toHaveLength(3);

    const closed = createTextSearchThread(path, { onFailed });
    expect(await closed.ready()).toBe(true);
    await closed.close();
    expect(await closed.search(request('river'), () => here)).toBe(here);
    // Closing is no failure.
    expect(failures).toHaveLength(3);
    await store.close();
  });

  it('gives the store the same hits with and without the thread, and forgets a deleted collection', async () => {
    const { path, store, collection } = await openFile();
    const threaded = createSqliteStore({ path });
    const queries = ['river', 'stone cloud', 'violet thunder orchard', 'quill zeppelin', 'the', '  '];
    for (const query of queries) {
      expect(await threaded.searchText(collection.id, query, 10)).toEqual(
        await store.searchText(collection.id, query, 10),
      );
    }
    expect(await threaded.deleteCollection(collection.id)).toBe(true);
    await expect(threaded.searchText(collection.id, 'river', 5)).rejects.toThrow();
    await threaded.close();
    await store.close();
  });
});
