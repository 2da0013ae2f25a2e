import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createApp, type AppContext } from '../../src/app/create-app.js';
import type { Collection } from '../../src/core/types.js';
import { prng } from '../helpers/prng.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

/** Bytes of every file under a folder. */
function bytesUnder(dir: string): number {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => statSync(join(dir, name), { throwIfNoEntry: false }))
    .reduce((sum, stat) => sum + (stat?.isFile() ? stat.size : 0), 0);
}

/** Raw files on disk, by key, with their sizes. */
function blobsOnDisk(dataDir: string): Map<string, number> {
  const root = join(dataDir, 'blobs');
  const found = new Map<string, number>();
  for (const prefix of readdirSync(root).filter((name) => /^[0-9a-f]{2}$/.test(name))) {
    for (const key of readdirSync(join(root, prefix))) {
      found.set(key, statSync(join(root, prefix, key)).size);
    }
  }
  return found;
}

/**
 * Bookkeeping is kept no time at all, and vectors are short (sqlite-vec stores them 256 to a chunk, a
 * granularity that at 384 dimensions would outweigh the rest): what is compared is what the documents take.
 */
async function openApp(dataDir: string): Promise<AppContext> {
  return createApp(
    loadConfig(
      {},
      {
        dataDir,
        logLevel: 'silent',
        concurrency: 4,
        chunkTokens: 60,
        chunkOverlap: 5,
        sweepIntervalMs: 0,
        retainEventsHours: 0,
        retainBatchesHours: 0,
        embedDimension: 8,
      },
    ),
  );
}

/** Every document the ledger holds, across collections. */
async function allDocuments(app: AppContext, collections: Collection[]) {
  const docs = [];
  for (const collection of collections) {
    let after: string | undefined;
    for (;;) {
      const page = await app.store.listDocuments({
        collectionId: collection.id,
        limit: 500,
        ...(after ? { after } : {}),
      });
      docs.push(...page);
      if (page.length < 500) {
        break;
      }
      after = page.at(-1)?.id;
    }
  }
  return docs;
}

// Words enough that documents of one content share nothing with another's but their structure.
const content = (n: number): string =>
  Array.from({ length: 40 + (n % 7) * 30 }, (_, i) => `w${(n * 31 + i * 7) % 5000} term${n}`).join(' ') + '\n';

describe('Raw files under churn', () => {
  it('keeps exactly the raw files the remaining documents need after 2,000 uploads and deletes, and as much disk as a fresh ingest of them', async () => {
    const random = prng(20261207);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const dataDir = tempDir('sluice-churn-');
    const sources = tempDir('sluice-churn-files-');
    const app = await openApp(dataDir);
    const tenant = await app.defaultTenant();
    const collections = await Promise.all(['a', 'b', 'c', 'd'].map((name) => app.ensureCollection(tenant.id, name)));
    await app.startWorkers();
    // 60 sources (a source uploaded again with new bytes is a new version of its document), 150 contents:
    // the same bytes land under several sources and in several collections.
    const live: string[] = [];
    const contentOf = new Map<string, number>();
    for (let op = 0; op < 2000; op++) {
      if (live.length > 0 && random() < 0.3) {
        const [documentId] = live.splice(Math.floor(random() * live.length), 1);
        await app.deleteDocument(documentId as string);
        continue;
      }
      const collection = pick(collections);
      const n = Math.floor(random() * 150);
      const dir = join(sources, collection.name);
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `source-${Math.floor(random() * 60)}.txt`);
      writeFileSync(path, content(n));
      const batch = await app.store.createBatch(collection.id, `op ${op}`);
      const [outcome] = await app.submit({
        collection,
        batch,
        files: [{ path, relativePath: basename(path), sizeBytes: statSync(path).size }],
      });
      const id = (outcome as NonNullable<typeof outcome>).document.id;
      contentOf.set(id, n);
      if (!live.includes(id)) {
        live.push(id);
      }
    }
    await app.queue.idle();
    const report = await app.sweep({ compact: true });
    expect(report?.errors).toEqual([]);

    const remaining = await allDocuments(app, collections);
    const needed = new Map(remaining.filter((doc) => doc.sha256 !== '').map((doc) => [doc.sha256, doc.sizeBytes]));
    const onDisk = blobsOnDisk(dataDir);
    expect(remaining.length).toBeGreaterThan(100);
    expect(new Set(onDisk.keys())).toEqual(new Set(needed.keys()));
    expect([...onDisk].every(([key, size]) => needed.get(key) === size)).toBe(true);
    expect(readdirSync(join(dataDir, 'blobs', 'tmp'))).toEqual([]);
    expect(remaining.every((doc) => doc.state === 'completed' || doc.state === 'skipped')).toBe(true);
    // Vector tables rebuilt by the sweep still find every chunk under its id.
    for (const collection of collections) {
      const doc = remaining.find((d) => d.collectionId === collection.id && d.state === 'completed');
      const term = `term${contentOf.get(doc?.id as string)}`;
      const [hit] = await app.search(collection, { query: term, topK: 1, mode: 'text' });
      const [same] = await app.search(collection, { query: (hit as { text: string }).text, topK: 1, mode: 'vector' });
      expect(same?.chunkId).toBe(hit?.chunkId);
    }
    const churnedBytes = bytesUnder(dataDir);
    await app.close();

    // The same documents ingested afresh into the same collections, copies and all, each in a request
    // (a batch) of its own as they came.
    const freshDir = tempDir('sluice-fresh-');
    const freshSources = tempDir('sluice-fresh-files-');
    const fresh = await openApp(freshDir);
    const freshTenant = await fresh.defaultTenant();
    await fresh.startWorkers();
    for (const collection of collections) {
      const files = remaining
        .filter((doc) => doc.collectionId === collection.id)
        .map((doc) => {
          const path = join(freshSources, `${collection.name}-${doc.id}.txt`);
          writeFileSync(path, content(contentOf.get(doc.id) as number));
          return { path, relativePath: basename(path), sizeBytes: statSync(path).size };
        });
      const target = await fresh.ensureCollection(freshTenant.id, collection.name);
      for (const file of files) {
        await fresh.submit({
          collection: target,
          batch: await fresh.store.createBatch(target.id, 'fresh'),
          files: [file],
        });
      }
    }
    await fresh.queue.idle();
    expect((await fresh.sweep({ compact: true }))?.errors).toEqual([]);
    expect(new Set(blobsOnDisk(freshDir).keys())).toEqual(new Set(needed.keys()));
    const freshBytes = bytesUnder(freshDir);
    await fresh.close();
    expect(Math.abs(churnedBytes - freshBytes) / freshBytes).toBeLessThan(0.1);
  });
});
