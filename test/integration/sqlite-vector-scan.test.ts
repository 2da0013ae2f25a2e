import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EmbeddedChunk } from '../../src/core/types.js';
import type { Store } from '../../src/ports/store.js';
import { createSqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/sqlite-store.js';
import { createVectorScans, quantize, type VectorScanSource } from '../../src/store/sqlite/search/vector-scan.js';
import * as sqliteVec from 'sqlite-vec';
import { vectorScanSource } from '../../src/store/sqlite/search/vector-scan-source.js';
import { collectionTables } from '../../src/store/sqlite/sqlite-migrations.js';
import { statementCache } from '../../src/store/sqlite/statement-cache.js';
import { prng } from '../helpers/prng.js';

const dimension = 32;
const spec = { name: 'test', model: 'random', dimension };

const random = prng(20261203);
const randomVector = (): Float32Array => Float32Array.from({ length: dimension }, () => random() * 2 - 1);

/** Two stores on one file, as two processes would open it: `writer` ingests, `reader` searches. */
function openPair(options: Partial<SqliteStoreOptions> = {}): { path: string; writer: Store; reader: Store } {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-scan-')), 'sluice.db');
  return { path, writer: createSqliteStore({ path, ...options }), reader: createSqliteStore({ path }) };
}

/** A SQLite file with a table of random vectors (`rowid`, `embedding`) per name, of the count given. */
function vectorTables(counts: Record<string, number>): Database.Database {
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'sluice-scan-')), 'v.db'));
  db.transaction(() => {
    for (const [table, count] of Object.entries(counts)) {
      db.exec(`CREATE TABLE ${table} (rowid INTEGER PRIMARY KEY, embedding BLOB)`);
      const insert = db.prepare(`INSERT INTO ${table} (embedding) VALUES (?)`);
      for (let i = 0; i < count; i++) {
        insert.run(Buffer.from(randomVector().buffer));
      }
    }
  })();
  return db;
}

/** A scan's statements over plain tables of vectors (`rowid`, `embedding`), with no change log. */
function tableSource(db: Database.Database): VectorScanSource {
  return {
    all: (_collectionId, vectors) =>
      db.prepare<[], { rowid: number; embedding: Buffer }>(`SELECT rowid, embedding FROM ${vectors}`).iterate(),
    allRowByRow: (_collectionId, vectors) =>
      db.prepare<[], { rowid: number; embedding: Buffer }>(`SELECT rowid, embedding FROM ${vectors}`).iterate(),
    // The table is named for the collection's vectors, as the scans' first argument names them here.
    count: (collectionId) => db.prepare<[], number>(`SELECT count(*) FROM vec_${collectionId}`).pluck().get() ?? 0,
    one: (vectors, rowid) =>
      db.prepare<[number], Buffer>(`SELECT embedding FROM ${vectors} WHERE rowid = ?`).pluck().get(rowid),
    head: () => 0,
    oldest: () => undefined,
    changed: () => [],
    snapshot: (work) => db.transaction(work)(),
  };
}

async function ingest(
  store: Store,
  collectionId: string,
  batchId: string,
  source: string,
  vectors: Float32Array[],
): Promise<string> {
  const { document } = await store.registerDocument({
    collectionId,
    batchId,
    source,
    sha256: `${source}-${random()}`,
    sizeBytes: 1,
  });
  await store.claim(document.id, `att_${document.id}`);
  await store.setStage(document.id, `att_${document.id}`, 'indexing');
  const chunks: EmbeddedChunk[] = vectors.map((vector, index) => ({
    index,
    text: `${source} chunk ${index}`,
    tokenCount: 3,
    charStart: index,
    charEnd: index + 1,
    page: null,
    vector,
  }));
  expect(await store.complete(document.id, `att_${document.id}`, 'text/plain', chunks)).toBe(true);
  return document.id;
}

async function setup(store: Store) {
  const tenant = await store.ensureTenant('t');
  const collection = await store.ensureCollection(tenant.id, 'c', spec);
  const batch = await store.createBatch(collection.id, 'b');
  return { collection, batch };
}

describe('SQLite vector search through the in-memory int8 scan', () => {
  it('gives the hits and scores of sqlite-vec’s exact scan', async () => {
    const { path, writer } = openPair();
    const { collection, batch } = await setup(writer);
    for (let doc = 0; doc < 20; doc++) {
      await ingest(writer, collection.id, batch.id, `d${doc}`, Array.from({ length: 100 }, randomVector));
    }
    const scanned = createSqliteStore({ path });
    const exact = createSqliteStore({ path, vectorScanBytes: 0 });
    for (let q = 0; q < 50; q++) {
      const query = randomVector();
      const [fast, slow] = await Promise.all([
        scanned.searchVector(collection.id, query, 10),
        exact.searchVector(collection.id, query, 10),
      ]);
      expect(fast.map((h) => h.chunkId)).toEqual(slow.map((h) => h.chunkId));
      fast.forEach((hit, i) => expect(hit.score).toBeCloseTo(slow[i]!.score, 5));
    }
    await Promise.all([writer.close(), scanned.close(), exact.close()]);
  });

  it('sees what another connection writes and deletes, at the next search', async () => {
    const { writer, reader } = openPair();
    const { collection, batch } = await setup(writer);
    await ingest(writer, collection.id, batch.id, 'noise', Array.from({ length: 200 }, randomVector));
    const target = randomVector();
    // The reader builds its scan before the document it is looking for exists.
    expect((await reader.searchVector(collection.id, target, 3)).map((h) => h.source)).not.toContain('near');
    const near = await ingest(writer, collection.id, batch.id, 'near', [target.map((x) => x * 0.5)]);
    const first = await reader.searchVector(collection.id, target, 3);
    expect(first[0]).toMatchObject({ source: 'near' });
    expect(first[0]!.score).toBeCloseTo(1, 5);
    // Deleted: its vector is gone from the scan; another document's new one is in it.
    expect(await writer.deleteDocument(near)).toBe(true);
    expect((await reader.searchVector(collection.id, target, 3)).map((h) => h.source)).not.toContain('near');
    await ingest(writer, collection.id, batch.id, 'opposite', [target.map((x) => -x)]);
    const last = await reader.searchVector(
      collection.id,
      target.map((x) => -x),
      1,
    );
    expect(last[0]).toMatchObject({ source: 'opposite' });
    expect(await reader.countChunks(collection.id)).toBe(201);
    await Promise.all([writer.close(), reader.close()]);
  });

  it('reads sqlite-vec’s blocks of vectors as its table gives them, leaving out deleted and staged chunks', async () => {
    const { path, writer, reader } = openPair();
    await reader.close();
    const { collection, batch } = await setup(writer);
    const ids = [];
    for (let doc = 0; doc < 6; doc++) {
      // 250 vectors a document: the blocks (256 vectors each) fill across documents.
      ids.push(await ingest(writer, collection.id, batch.id, `d${doc}`, Array.from({ length: 250 }, randomVector)));
    }
    await writer.deleteDocument(ids[1]!);
    await writer.deleteDocument(ids[4]!);
    expect(await writer.countChunks(collection.id)).toBe(1000);
    // The chunks of the last document as a publish in progress leaves them: staged, not yet searchable.
    const raw = new Database(path);
    raw
      .prepare(
        `INSERT INTO chunk_stage (chunk_id, collection_id, document_id, token)
          SELECT id, collection_id, document_id, 'in-progress' FROM chunks WHERE document_id = ?`,
      )
      .run(ids[5]!);
    raw.close();
    const db = new Database(path, { readonly: true });
    sqliteVec.load(db);
    const source = vectorScanSource(db, statementCache(db));
    const vectors = collectionTables(collection.id).vectors;
    const read = (rows: Iterable<{ rowid: number | bigint; embedding: Buffer }>) =>
      [...rows].map(({ rowid, embedding }) => [Number(rowid), Buffer.from(embedding).toString('hex')] as const);
    const fromBlocks = read(source.all(collection.id, vectors));
    expect(fromBlocks).toHaveLength(750);
    expect(new Map(fromBlocks)).toEqual(new Map(read(source.allRowByRow(collection.id, vectors))));
    db.close();
    await writer.close();
  });

  it('a reader further behind than the change log keeps, loads its collection afresh', async () => {
    const { writer, reader } = openPair({ vectorChangesKept: 5 });
    const { collection, batch } = await setup(writer);
    const old = await ingest(writer, collection.id, batch.id, 'old', Array.from({ length: 10 }, randomVector));
    const target = randomVector();
    await reader.searchVector(collection.id, target, 1);
    await writer.deleteDocument(old);
    await ingest(writer, collection.id, batch.id, 'new', [target, ...Array.from({ length: 30 }, randomVector)]);
    const hits = await reader.searchVector(collection.id, target, 50);
    expect(hits).toHaveLength(31);
    expect(hits[0]).toMatchObject({ source: 'new' });
    expect(hits.every((h) => h.source === 'new')).toBe(true);
    await Promise.all([writer.close(), reader.close()]);
  });

  it('a deleted collection leaves nothing behind; one made afresh starts empty', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sluice-scan-')), 'sluice.db');
    const store = createSqliteStore({ path });
    const { collection, batch } = await setup(store);
    await ingest(store, collection.id, batch.id, 'a', [randomVector()]);
    expect(await store.searchVector(collection.id, randomVector(), 5)).toHaveLength(1);
    expect(await store.deleteCollection(collection.id)).toBe(true);
    const again = await setup(store);
    expect(await store.searchVector(again.collection.id, randomVector(), 5)).toEqual([]);
    await store.close();
  });

  it('within a memory budget: too large a collection, or one of several that do not fit together, searches the same', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sluice-scan-')), 'sluice.db');
    const writer = createSqliteStore({ path, vectorScanBytes: 0 });
    const tenant = await writer.ensureTenant('t');
    const collections = [];
    for (const name of ['small', 'other', 'large']) {
      const collection = await writer.ensureCollection(tenant.id, name, spec);
      const batch = await writer.createBatch(collection.id, 'b');
      await ingest(
        writer,
        collection.id,
        batch.id,
        name,
        Array.from({ length: name === 'large' ? 600 : 150 }, randomVector),
      );
      collections.push(collection);
    }
    // Room for about one collection of 150 vectors (its matrix holds 1,024 rows of 32 bytes, and ids).
    const tight = createSqliteStore({ path, vectorScanBytes: 48 * 1024 });
    for (let q = 0; q < 6; q++) {
      for (const collection of collections) {
        const query = randomVector();
        const [fast, slow] = await Promise.all([
          tight.searchVector(collection.id, query, 5),
          writer.searchVector(collection.id, query, 5),
        ]);
        expect(fast.map((h) => h.chunkId)).toEqual(slow.map((h) => h.chunkId));
      }
    }
    await Promise.all([writer.close(), tight.close()]);
  });

  it('holds no more than its budget, dropping the least recently searched collection first', () => {
    // The scan over a real SQLite file, with the statements the store gives it.
    const db = vectorTables({ vec_a: 100, vec_b: 100, vec_c: 2000 });
    const scans = createVectorScans(
      tableSource(db),
      // One collection of 100 vectors (1,024 rows of 32 bytes and 8 of id, 64 bytes a chunk): 47,360 bytes.
      { budgetBytes: 60_000 },
    );
    const query = randomVector();
    expect(scans.search('a', 'vec_a', query, 3)).toHaveLength(3);
    expect(scans.bytes()).toBe(47_360);
    expect(scans.search('b', 'vec_b', query, 3)).toHaveLength(3);
    // a went to make room for b.
    expect(scans.bytes()).toBe(47_360);
    // c alone is over the budget: not loaded, left to sqlite-vec (undefined), and b stays.
    expect(scans.search('c', 'vec_c', query, 3)).toBeUndefined();
    expect(scans.bytes()).toBe(47_360);
    db.close();
  });

  it('a loaded collection that grows keeps its scan while the budget holds it, and only then is left to sqlite-vec', () => {
    const db = vectorTables({ vec_g: 1000 });
    const insert = db.prepare('INSERT INTO vec_g (embedding) VALUES (?)');
    // A change log of the rows inserted since: every rowid past the last one seen.
    const source: VectorScanSource = {
      ...tableSource(db),
      head: () => db.prepare<[], number>('SELECT max(rowid) FROM vec_g').pluck().get() ?? 0,
      oldest: () => 1,
      changed: (_collectionId, after, upTo) =>
        db
          .prepare<[number, number], number>('SELECT rowid FROM vec_g WHERE rowid > ? AND rowid <= ?')
          .pluck()
          .all(after, upTo),
    };
    // Room for 1,500 chunks of 32 dimensions: 32 bytes of vector, 8 of id and 64 of row map each.
    const budgetBytes = 1500 * (32 + 8 + 64);
    const scans = createVectorScans(source, { budgetBytes });
    expect(scans.search('g', 'vec_g', randomVector(), 3)).toHaveLength(3);
    for (let i = 0; i < 400; i++) {
      insert.run(Buffer.from(randomVector().buffer));
    }
    // 40 % more than it loaded: its matrix grew within the budget.
    expect(scans.search('g', 'vec_g', randomVector(), 3)).toHaveLength(3);
    expect(scans.bytes()).toBeGreaterThan(0);
    expect(scans.bytes()).toBeLessThanOrEqual(budgetBytes);
    for (let i = 0; i < 200; i++) {
      insert.run(Buffer.from(randomVector().buffer));
    }
    // 1,600: more than the budget holds.
    expect(scans.search('g', 'vec_g', randomVector(), 3)).toBeUndefined();
    expect(scans.bytes()).toBe(0);
    db.close();
  });

  it('finds the same hits, in the same order, whether it scans on one thread or several', () => {
    // Enough rows that each thread gets a share of its own, and that the threads are timed and chosen.
    const db = vectorTables({ vec_a: 20_000 });
    const source = tableSource(db);
    const one = createVectorScans(source, { budgetBytes: 64 * 1024 * 1024, threads: 1 });
    const several = createVectorScans(source, { budgetBytes: 64 * 1024 * 1024, threads: 4 });
    const chosen = createVectorScans(source, { budgetBytes: 64 * 1024 * 1024 });
    for (let q = 0; q < 20; q++) {
      const query = randomVector();
      const hits = one.search('a', 'vec_a', query, 10);
      expect(hits).toHaveLength(10);
      expect(several.search('a', 'vec_a', query, 10)).toEqual(hits);
      // Leaving a core to a search beside it: three threads.
      expect(several.search('a', 'vec_a', query, 10, true)).toEqual(hits);
      expect(chosen.search('a', 'vec_a', query, 10, q % 2 === 0)).toEqual(hits);
    }
    db.close();
  });

  it('quantizes a vector by its largest component, keeping its direction', () => {
    expect([...quantize(new Float32Array([0.5, -0.3, 0, 0.125]))]).toEqual([127, -76, 0, 32]);
    expect([...quantize(new Float32Array([0, 0]))]).toEqual([0, 0]);
  });
});
