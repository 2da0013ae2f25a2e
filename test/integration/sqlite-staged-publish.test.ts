import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EmbeddedChunk } from '../../src/core/types.js';
import type { Store } from '../../src/ports/store.js';
import { retryWhileBusy } from '../../src/store/sqlite/busy-retry.js';
import { createWriterGate } from '../../src/store/sqlite/writer-gate.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { createCollectionTables, migrate } from '../../src/store/sqlite/sqlite-migrations.js';
import * as sqliteVec from 'sqlite-vec';
import { prng } from '../helpers/prng.js';

const dimension = 16;
const spec = { name: 'test', model: 'random', dimension };
const random = prng(20261204);
const randomVector = (): Float32Array => Float32Array.from({ length: dimension }, () => random() * 2 - 1);

const chunksOf = (word: string, count: number): EmbeddedChunk[] =>
  Array.from({ length: count }, (_, index) => ({
    index,
    text: `${word} words number ${index}`,
    tokenCount: 4,
    charStart: index,
    charEnd: index + 1,
    page: null,
    vector: randomVector(),
  }));

/** A file with a collection, and a plain connection on it that sees what the stores hide. */
async function openFile() {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-stage-')), 'sluice.db');
  const writer = createSqliteStore({ path });
  const tenant = await writer.ensureTenant('t');
  const collection = await writer.ensureCollection(tenant.id, 'c', spec);
  const batch = await writer.createBatch(collection.id, 'b');
  const raw = new Database(path);
  const staged = (): number => raw.prepare('SELECT count(*) FROM chunk_stage').pluck().get() as number;
  return { path, writer, collection, batch, raw, staged };
}

async function newVersion(store: Store, collectionId: string, batchId: string, attemptId: string): Promise<string> {
  const { document } = await store.registerDocument({
    collectionId,
    batchId,
    source: 'a.txt',
    sha256: `v-${attemptId}`,
    sizeBytes: 1,
  });
  expect(await store.claim(document.id, attemptId)).toBeDefined();
  expect(await store.setStage(document.id, attemptId, 'indexing')).toBe(true);
  return document.id;
}

const texts = (hits: { text: string }[]): string[] => [...new Set(hits.map((h) => h.text.split(' ')[0]!))];

describe('SQLite publish in short transactions', () => {
  it('searches see the old version whole until one last transaction swaps in the new, and other writers get in meanwhile', async () => {
    const { path, writer, collection, batch, raw, staged } = await openFile();
    const id = await newVersion(writer, collection.id, batch.id, 'att_1');
    expect(await writer.complete(id, 'att_1', 'text/plain', chunksOf('zebra', 50))).toBe(true);
    // A searching process with the in-memory vector scan, one with sqlite-vec alone, and a writer.
    const scanned = createSqliteStore({ path });
    const exact = createSqliteStore({ path, vectorScanBytes: 0 });
    const other = createSqliteStore({ path });
    const query = randomVector();
    expect(texts(await scanned.searchVector(collection.id, query, 5))).toEqual(['zebra']);
    // The first text search also starts the store's text-search thread.
    expect(texts(await scanned.searchText(collection.id, 'zebra', 5))).toEqual(['zebra']);

    expect(await newVersion(writer, collection.id, batch.id, 'att_2')).toBe(id);
    const fresh = chunksOf('quokka', 4000);
    let finished = false;
    const publishing = writer.complete(id, 'att_2', 'text/plain', fresh).finally(() => (finished = true));
    let seenStaged = 0;
    let textChecks = 0;
    const landed: string[] = [];
    while (!finished) {
      if (staged() > 0) {
        seenStaged += 1;
        expect(await scanned.countChunks(collection.id)).toBe(50);
        expect(await other.getTenantUsage(collection.tenantId)).toMatchObject({ chunks: 50 });
        expect(texts(await scanned.searchVector(collection.id, query, 5))).toEqual(['zebra']);
        expect(texts(await exact.searchVector(collection.id, query, 5))).toEqual(['zebra']);
        // Text searches run on another thread while this one goes on publishing: one answered after the
        // last slice has committed may see the new version, whole; before, it sees the old one, whole.
        const [quokka, zebra] = [
          await scanned.searchText(collection.id, 'quokka', 5),
          await scanned.searchText(collection.id, 'zebra', 5),
        ];
        if (!finished) {
          textChecks += 1;
          expect(quokka).toEqual([]);
          expect(texts(zebra)).toEqual(['zebra']);
        }
        if (landed.length < 3) {
          // Another process's write waits for a gap between slices, not for the whole publish.
          landed.push((await other.createBatch(collection.id, 'meanwhile')).id);
        }
      }
      await sleep(0);
    }
    expect(await publishing).toBe(true);
    expect(seenStaged).toBeGreaterThan(3);
    expect(textChecks).toBeGreaterThan(0);
    expect(landed).toHaveLength(3);
    expect(staged()).toBe(0);
    expect(await scanned.countChunks(collection.id)).toBe(4000);
    expect(await scanned.searchText(collection.id, 'zebra', 5)).toEqual([]);
    expect(texts(await scanned.searchText(collection.id, 'quokka', 5))).toEqual(['quokka']);
    expect(texts(await scanned.searchVector(collection.id, query, 5))).toEqual(['quokka']);
    expect(texts(await exact.searchVector(collection.id, query, 5))).toEqual(['quokka']);
    expect(await writer.getDocument(id)).toMatchObject({ state: 'completed', chunksTotal: 4000, chunksEmbedded: 4000 });
    raw.close();
    await Promise.all([writer.close(), scanned.close(), exact.close(), other.close()]);
  });

  it('a document whose chunks fit in one slice replaces its previous version in one transaction, with no stage rows', async () => {
    const { path, writer, collection, batch, raw, staged } = await openFile();
    // Counts every stage row written, whichever connection writes it.
    raw.exec(`CREATE TABLE stage_rows_written (n INTEGER);
      CREATE TRIGGER count_stage_rows AFTER INSERT ON chunk_stage BEGIN INSERT INTO stage_rows_written VALUES (1); END;`);
    const stageRowsWritten = (): number =>
      raw.prepare('SELECT count(*) FROM stage_rows_written').pluck().get() as number;
    const scanned = createSqliteStore({ path });
    const exact = createSqliteStore({ path, vectorScanBytes: 0 });
    const query = randomVector();

    const id = await newVersion(writer, collection.id, batch.id, 'att_1');
    expect(await writer.complete(id, 'att_1', 'text/plain', chunksOf('zebra', 6))).toBe(true);
    expect(texts(await scanned.searchVector(collection.id, query, 5))).toEqual(['zebra']);
    expect(await newVersion(writer, collection.id, batch.id, 'att_2')).toBe(id);
    expect(await writer.complete(id, 'att_2', 'text/plain', chunksOf('quokka', 6))).toBe(true);

    expect(stageRowsWritten()).toBe(0);
    expect(staged()).toBe(0);
    expect(await scanned.countChunks(collection.id)).toBe(6);
    expect(raw.prepare('SELECT count(*) FROM chunks').pluck().get()).toBe(6);
    expect(await scanned.searchText(collection.id, 'zebra', 5)).toEqual([]);
    expect(texts(await scanned.searchText(collection.id, 'quokka', 5))).toEqual(['quokka']);
    // The in-memory scan hears of both the removed and the added vectors through the change log.
    expect(texts(await scanned.searchVector(collection.id, query, 10))).toEqual(['quokka']);
    expect(texts(await exact.searchVector(collection.id, query, 10))).toEqual(['quokka']);
    expect(await writer.getDocument(id)).toMatchObject({ state: 'completed', chunksTotal: 6, chunksEmbedded: 6 });

    // A document too long for one slice stages what its first slice wrote, as the slices after it do.
    expect(await newVersion(writer, collection.id, batch.id, 'att_3')).toBe(id);
    expect(await writer.complete(id, 'att_3', 'text/plain', chunksOf('ibis', 2000))).toBe(true);
    expect(stageRowsWritten()).toBe(2000);
    expect(staged()).toBe(0);
    expect(texts(await scanned.searchVector(collection.id, query, 10))).toEqual(['ibis']);
    expect(await scanned.countChunks(collection.id)).toBe(2000);
    raw.close();
    await Promise.all([writer.close(), scanned.close(), exact.close()]);
  });

  it('a cancel from another process stops a publish between two slices and leaves nothing staged', async () => {
    const { path, writer, collection, batch, raw, staged } = await openFile();
    const other = createSqliteStore({ path });
    const id = await newVersion(writer, collection.id, batch.id, 'att_1');
    const publishing = writer.complete(id, 'att_1', 'text/plain', chunksOf('quokka', 3000));
    while (staged() === 0) {
      await sleep(0);
    }
    expect(await other.cancel(id)).toMatchObject({ state: 'cancelled' });
    expect(await publishing).toBe(false);
    expect(staged()).toBe(0);
    expect(await other.countChunks(collection.id)).toBe(0);
    expect(raw.prepare('SELECT count(*) FROM chunks').pluck().get()).toBe(0);
    raw.close();
    await Promise.all([writer.close(), other.close()]);
  });

  it('a publish cut off by the process dying leaves chunks no search sees, and the next attempt clears them', async () => {
    const { path, writer, collection, batch, raw, staged } = await openFile();
    const id = await newVersion(writer, collection.id, batch.id, 'att_1');
    const publishing = writer.complete(id, 'att_1', 'text/plain', chunksOf('quokka', 3000));
    while (staged() === 0) {
      await sleep(0);
    }
    // The connection goes away mid-publish, as with a killed process: no cleanup can run.
    await writer.close();
    await expect(publishing).rejects.toThrow();
    expect(staged()).toBeGreaterThan(0);
    const after = createSqliteStore({ path });
    expect(await after.countChunks(collection.id)).toBe(0);
    expect(await after.searchText(collection.id, 'quokka', 5)).toEqual([]);
    expect(await after.searchVector(collection.id, randomVector(), 5)).toEqual([]);
    expect(await after.claim(id, 'att_2')).toMatchObject({ attempts: 2 });
    expect(await after.setStage(id, 'att_2', 'indexing')).toBe(true);
    expect(staged()).toBe(0);
    expect(await after.complete(id, 'att_2', 'text/plain', chunksOf('quokka', 20))).toBe(true);
    expect(await after.countChunks(collection.id)).toBe(20);
    raw.close();
    await after.close();
  });

  it('a write that finds the lock taken by another connection waits without holding the thread, then lands', async () => {
    const { writer, collection, raw } = await openFile();
    raw.exec('BEGIN IMMEDIATE');
    let landed = false;
    const writing = writer.createBatch(collection.id, 'waits').then((b) => ((landed = true), b));
    // The event loop runs while the write waits: this timer fires, and ends the other transaction.
    await sleep(50);
    expect(landed).toBe(false);
    raw.exec('COMMIT');
    expect((await writing).label).toBe('waits');
    // A lock held past the time allowed is reported as busy.
    const second = new Database(raw.name, { timeout: 0 });
    raw.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    await expect(retryWhileBusy(() => second.exec('BEGIN IMMEDIATE'), 100)).rejects.toMatchObject({
      code: 'SQLITE_BUSY',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    raw.exec('COMMIT');
    second.close();
    raw.close();
    await writer.close();
  });

  it('with a shared writer gate, a write waiting on another connection ends the slice under way and holds the next', async () => {
    const { path, writer, collection, batch, raw } = await openFile();
    await writer.close();
    const gate = createWriterGate();
    const publisher = createSqliteStore({ path, writerGate: gate.shared });
    const id = await newVersion(publisher, collection.id, batch.id, 'att_1');
    // A write of another connection that waits, and never gets through: each slice takes one chunk,
    // and the next waits the longest a slice holds off (50 ms) before it goes ahead anyway.
    const waiting = createWriterGate(gate.shared).waiting();
    const started = performance.now();
    expect(await publisher.complete(id, 'att_1', 'text/plain', chunksOf('heron', 10))).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(10 * 50 - 5);
    waiting();
    expect(await publisher.countChunks(collection.id)).toBe(10);

    // A real wait on the lock: the publish goes on once it is over, and the write got in on the way.
    const other = createSqliteStore({ path, writerGate: gate.shared });
    const id2 = await newVersion(publisher, collection.id, batch.id, 'att_2');
    raw.exec('BEGIN IMMEDIATE');
    const publishing = publisher.complete(id2, 'att_2', 'text/plain', chunksOf('ibis', 2000));
    const writing = other.createBatch(collection.id, 'meanwhile');
    await sleep(20);
    raw.exec('COMMIT');
    expect((await writing).label).toBe('meanwhile');
    expect(await publishing).toBe(true);
    expect(await other.countChunks(collection.id)).toBe(2000);
    raw.close();
    await other.close();
    await publisher.close();
  });

  it("the background thread's store holds every write while a write through the gate waits, and for 50 ms at most", async () => {
    const { path, writer, collection, raw } = await openFile();
    await writer.close();
    const gate = createWriterGate();
    const background = createSqliteStore({ path, writerGate: gate.shared, yieldToOtherWriters: true });
    const foreground = createSqliteStore({ path, writerGate: gate.shared });
    // The API thread's write waits for the lock (as retryWhileBusy announces it).
    const apiWaits = createWriterGate(gate.shared).waiting();
    let landed = false;
    const backgroundWrite = background.createBatch(collection.id, 'background').then(() => (landed = true));
    // The foreground store never gives way: its write goes at once.
    expect((await foreground.createBatch(collection.id, 'foreground')).label).toBe('foreground');
    await sleep(20);
    expect(landed).toBe(false);
    apiWaits();
    await backgroundWrite;
    expect(landed).toBe(true);

    // A waiter that never finishes holds a write 50 ms, not for ever.
    const stuck = createWriterGate(gate.shared).waiting();
    const started = performance.now();
    await background.createBatch(collection.id, 'late');
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(performance.now() - started).toBeLessThan(1000);
    stuck();
    raw.close();
    await Promise.all([background.close(), foreground.close()]);
  });

  it('a database written before stage tokens had their own table keeps its published chunks searchable and its staged ones hidden', async () => {
    // Schema version 5, as the previous release left it: a completed document's two chunks, and one
    // chunk that a publish of its next version had staged when the process died.
    const path = join(mkdtempSync(join(tmpdir(), 'sluice-stage-')), 'sluice.db');
    const old = new Database(path);
    sqliteVec.load(old);
    migrate(old, 5);
    const at = new Date().toISOString();
    old.prepare("INSERT INTO tenants (id, name, created_at) VALUES ('ten_1', 't', ?)").run(at);
    old
      .prepare(
        "INSERT INTO collections (id, tenant_id, name, embedder_name, embedder_model, dimension, created_at) VALUES ('col_1', 'ten_1', 'c', 'test', 'random', ?, ?)",
      )
      .run(dimension, at);
    old.prepare("INSERT INTO batches (id, collection_id, label, created_at) VALUES ('bat_1', 'col_1', 'b', ?)").run(at);
    old
      .prepare(
        "INSERT INTO documents (id, collection_id, batch_id, source, sha256, size_bytes, state, attempt_id, created_at, updated_at) VALUES ('doc_1', 'col_1', 'bat_1', 'a.txt', 'v1', 1, 'indexing', 'att_2', ?, ?)",
      )
      .run(at, at);
    createCollectionTables(old, 'col_1', dimension);
    const rows: [number, string, string | null][] = [
      [1, 'walrus one', null],
      [2, 'walrus two', null],
      [3, 'narwhal staged', 'stg_dead'],
    ];
    for (const [id, text, stage] of rows) {
      old
        .prepare(
          "INSERT INTO chunks (id, document_id, collection_id, idx, text, token_count, char_start, char_end, embedder, dimension, stage) VALUES (?, 'doc_1', 'col_1', ?, ?, 2, 0, 1, 'test:random', ?, ?)",
        )
        .run(id, id === 3 ? 0 : id - 1, text, dimension, stage);
      old
        .prepare('INSERT INTO vec_col_1 (rowid, embedding) VALUES (?, ?)')
        .run(BigInt(id), Buffer.from(randomVector().buffer));
      old.prepare('INSERT INTO fts_col_1 (rowid, text) VALUES (?, ?)').run(id, text);
    }
    old.close();

    const store = createSqliteStore({ path });
    const raw = new Database(path);
    expect(raw.prepare('SELECT chunk_id, token FROM chunk_stage').all()).toEqual([{ chunk_id: 3, token: 'stg_dead' }]);
    expect(await store.countChunks('col_1')).toBe(2);
    expect(texts(await store.searchText('col_1', 'walrus', 5))).toEqual(['walrus']);
    expect(await store.searchText('col_1', 'narwhal', 5)).toEqual([]);
    expect(texts(await store.searchVector('col_1', randomVector(), 5))).toEqual(['walrus']);
    // The next attempt clears what the dead one staged, and its publish replaces the version.
    expect(await store.claim('doc_1', 'att_3')).toMatchObject({ attempts: 1 });
    expect(await store.setStage('doc_1', 'att_3', 'indexing')).toBe(true);
    expect(raw.prepare('SELECT count(*) FROM chunks').pluck().get()).toBe(2);
    expect(await store.complete('doc_1', 'att_3', 'text/plain', chunksOf('orca', 4))).toBe(true);
    expect(await store.countChunks('col_1')).toBe(4);
    expect(texts(await store.searchText('col_1', 'orca', 5))).toEqual(['orca']);
    expect(await store.searchText('col_1', 'walrus', 5)).toEqual([]);
    raw.close();
    await store.close();
  });
});
