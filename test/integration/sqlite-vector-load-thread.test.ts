import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import * as sqliteVec from 'sqlite-vec';
import type { Store } from '../../src/ports/store.js';
import { openSearchConnection, searchMmapBytes } from '../../src/store/sqlite/search/search-connection.js';
import { createVectorLoader, type VectorLoader } from '../../src/store/sqlite/search/vector-load-host.js';
import { createVectorScans } from '../../src/store/sqlite/search/vector-scan.js';
import { vectorScanSource } from '../../src/store/sqlite/search/vector-scan-source.js';
import { collectionTables } from '../../src/store/sqlite/sqlite-migrations.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { statementCache } from '../../src/store/sqlite/statement-cache.js';
import { prng } from '../helpers/prng.js';
import { embeddedChunks, publishChunks } from '../helpers/publish-chunks.js';

const dimension = 16;
const spec = { name: 'test', model: 'random', dimension };
const random = prng(20261208);
const randomVector = (): Float32Array => Float32Array.from({ length: dimension }, () => random() * 2 - 1);

const ingest = (store: Store, collectionId: string, batchId: string, source: string, vectors: Float32Array[]) =>
  publishChunks(
    store,
    collectionId,
    batchId,
    source,
    embeddedChunks(
      vectors.map((_, index) => `${source} chunk ${index}`),
      (index) => vectors[index]!,
    ),
  );

const randomVectors = (count: number): Float32Array[] => Array.from({ length: count }, randomVector);

/** A file with two collections of 300 vectors, and scans over it that read copies of 100 rows or more on a load thread. */
async function openFile(loaderOf: (path: string) => VectorLoader = createVectorLoader) {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-load-thread-')), 'sluice.db');
  const writer = createSqliteStore({ path });
  const tenant = await writer.ensureTenant('t');
  const first = await writer.ensureCollection(tenant.id, 'first', spec);
  const second = await writer.ensureCollection(tenant.id, 'second', spec);
  for (const collection of [first, second]) {
    const batch = await writer.createBatch(collection.id, 'b');
    await ingest(writer, collection.id, batch.id, `${collection.name}-a.txt`, randomVectors(300));
  }
  const exact = createSqliteStore({ path, vectorScanBytes: 0, textSearchThread: false });
  const connection = openSearchConnection(path, searchMmapBytes.vectors);
  sqliteVec.load(connection);
  const loads: string[] = [];
  const failures: unknown[] = [];
  const loader = loaderOf(path);
  /** Runs after a thread has read a copy, before the scans have it. */
  const hooks: { beforeHandOver?: (() => Promise<void>) | undefined } = {};
  const scans = createVectorScans(vectorScanSource(connection, statementCache(connection)), {
    budgetBytes: 64 * 1024 * 1024,
    backgroundRows: 100,
    loader: {
      load: (request) => {
        loads.push(request.collectionId);
        return loader.load(request).then(async (rows) => {
          await hooks.beforeHandOver?.();
          return rows;
        });
      },
      close: () => loader.close(),
    },
    onLoadFailed: (error) => failures.push(error),
  });
  const search = (collectionId: string, query: Float32Array) =>
    scans.search(collectionId, collectionTables(collectionId).vectors, query, 10);
  const truth = async (collectionId: string, query: Float32Array) =>
    (await exact.searchVector(collectionId, query, 10)).map((hit) => ({ id: hit.chunkId, score: hit.score }));
  const close = async () => {
    await scans.close();
    connection.close();
    await exact.close();
    await writer.close();
  };
  return { writer, first, second, scans, search, truth, loads, failures, hooks, close };
}

async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > 10_000) {
      throw new Error('not done within 10 s');
    }
    await sleep(10);
  }
}

describe('SQLite vector scan: a large collection read on a load thread', () => {
  it('leaves searches to sqlite-vec while it reads, then scans, with what was written meanwhile', async () => {
    const { writer, first, second, scans, search, truth, loads, hooks, close } = await openFile();
    // Written after the thread's snapshot and before the copy is handed over: caught up through the
    // change log at the next search.
    const later = randomVectors(50);
    let written = false;
    hooks.beforeHandOver = async () => {
      const batch = await writer.createBatch(first.id, 'later');
      await ingest(writer, first.id, batch.id, 'first-b.txt', later);
      written = true;
    };
    const query = randomVector();
    expect(search(first.id, query)).toBeUndefined();
    // Another search of it while it loads starts no other load; another large collection waits its turn.
    expect(search(first.id, query)).toBeUndefined();
    expect(search(second.id, query)).toBeUndefined();
    expect(loads).toEqual([first.id]);

    await until(() => scans.bytes() > 0);
    expect(written).toBe(true);
    for (const probe of [...later.slice(0, 5), randomVector(), randomVector()]) {
      const hits = search(first.id, probe);
      expect(hits).toHaveLength(10);
      expect(hits!.map((h) => h.id)).toEqual((await truth(first.id, probe)).map((h) => h.id));
    }
    // A vector written during the load is its own nearest: the copy holds it.
    expect(search(first.id, later[7]!)![0]!.score).toBeCloseTo(1, 5);
    expect(search(second.id, query)).toBeUndefined();
    expect(loads).toEqual([first.id, second.id]);
    await close();
  });

  it('starts no other load thread while one reads, even for a collection forgotten meanwhile', async () => {
    const { first, second, scans, search, loads, hooks, close } = await openFile();
    let release = (): void => undefined;
    hooks.beforeHandOver = () => new Promise((resolve) => (release = resolve));
    expect(search(first.id, randomVector())).toBeUndefined();
    scans.forget(first.id);
    expect(search(second.id, randomVector())).toBeUndefined();
    expect(loads).toEqual([first.id]);
    release();
    hooks.beforeHandOver = undefined;
    await until(() => search(second.id, randomVector()) !== undefined);
    expect(loads).toEqual([first.id, second.id]);
    // The forgotten collection's copy was dropped: its next search loads it again.
    expect(search(first.id, randomVector())).toBeUndefined();
    expect(loads).toEqual([first.id, second.id, first.id]);
    await close();
  });

  it('reads the copy on the searching thread once a load thread has failed, and reports the failure', async () => {
    const { first, search, truth, failures, loads, close } = await openFile((path) =>
      createVectorLoader(path, { script: join(tmpdir(), 'no-such-vector-load-thread.js') }),
    );
    const query = randomVector();
    expect(search(first.id, query)).toBeUndefined();
    await until(() => failures.length > 0);
    expect(search(first.id, query)!.map((h) => h.id)).toEqual((await truth(first.id, query)).map((h) => h.id));
    expect(loads).toEqual([first.id]);
    expect(failures).toHaveLength(1);
    await close();
  });

  it('stops a load still running when closed, and reports no failure', async () => {
    const { first, search, failures, close } = await openFile();
    expect(search(first.id, randomVector())).toBeUndefined();
    await close();
    await sleep(50);
    expect(failures).toEqual([]);
  });
});
