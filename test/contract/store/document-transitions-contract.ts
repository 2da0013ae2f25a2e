import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { chunk, publish, register, useSharedStore, useStores } from './store-fixtures.js';
import { mayMove, moves, startingPoints } from './transition-table.js';

/** The `DocumentTransitions` role: fenced state changes of a document, as core's table of transitions allows them. */
export function describeDocumentTransitionsContract(name: string, createStore: StoreFactory): void {
  describe(`DocumentTransitions contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('fences writes: a superseded attempt changes nothing', async () => {
      const { store, collection, batch } = await stores.open();
      const { document } = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'a.txt',
        sha256: 'aa',
        sizeBytes: 1,
      });
      expect(await store.claim(document.id, 'att_1')).toMatchObject({ state: 'parsing', attempts: 1 });
      expect(await store.claim(document.id, 'att_2')).toMatchObject({ attempts: 2 });
      expect(await store.setStage(document.id, 'att_1', 'chunking')).toBe(false);
      expect(await store.complete(document.id, 'att_1', 'text/plain', [chunk(0, 'late', [1, 0, 0, 0])])).toBe(false);
      expect(await store.countChunks(collection.id)).toBe(0);
      expect(await store.setStage(document.id, 'att_2', 'embedding', { chunksTotal: 2, chunksEmbedded: 0 })).toBe(true);
      // Batches of one document finish concurrently: their counts add up atomically, and a stale one adds nothing.
      expect(
        await Promise.all([
          store.recordEmbedded(document.id, 'att_2', 0, 1),
          store.recordEmbedded(document.id, 'att_1', 0, 1),
        ]),
      ).toEqual([{ chunksTotal: 2, chunksEmbedded: 1 }, undefined]);
      // A batch delivered twice (its worker stalled and woke after another took it over) counts once.
      expect(await store.recordEmbedded(document.id, 'att_2', 0, 1)).toEqual({ chunksTotal: 2, chunksEmbedded: 1 });
      expect(await store.recordEmbedded(document.id, 'att_2', 1, 1)).toEqual({ chunksTotal: 2, chunksEmbedded: 2 });
      // Published from `indexing`, the only state core's table lets a document be completed from.
      expect(await store.setStage(document.id, 'att_2', 'indexing')).toBe(true);
      expect(
        await store.complete(document.id, 'att_2', 'text/plain', [
          chunk(0, 'alpha beta', [1, 0, 0, 0]),
          chunk(1, 'gamma delta', [0, 1, 0, 0]),
        ]),
      ).toBe(true);
      expect(await store.getDocument(document.id)).toMatchObject({
        state: 'completed',
        chunksTotal: 2,
        chunksEmbedded: 2,
        mediaType: 'text/plain',
      });
      expect(await store.complete(document.id, 'att_2', 'text/plain', [chunk(0, 'again', [1, 0, 0, 0])])).toBe(false);
      expect(await store.claim(document.id, 'att_3')).toBeUndefined();
      expect(await store.countChunks(collection.id)).toBe(2);
    });

    it('replaces the chunks of a new version of a source in one step', async () => {
      const { store, collection, batch } = await stores.open();
      const v1 = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'a.txt',
        sha256: 'v1',
        sizeBytes: 1,
      });
      await publish(store, v1.document.id, 'a1', [
        chunk(0, 'old words', [1, 0, 0, 0]),
        chunk(1, 'more old words', [0, 1, 0, 0]),
      ]);
      const v2 = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'a.txt',
        sha256: 'v2',
        sizeBytes: 1,
      });
      expect(v2).toMatchObject({ kind: 'queued', document: { id: v1.document.id, state: 'queued', attempts: 0 } });
      // The old version stays searchable until the new one is published.
      expect((await store.searchText(collection.id, 'old', 5)).length).toBe(2);
      await publish(store, v2.document.id, 'a2', [chunk(0, 'new words', [0, 0, 1, 0])]);
      expect(await store.searchText(collection.id, 'old', 5)).toEqual([]);
      expect((await store.searchText(collection.id, 'new', 5)).map((h) => h.text)).toEqual(['new words']);
      expect((await store.searchVector(collection.id, new Float32Array([0, 1, 0, 0]), 5)).map((h) => h.text)).toEqual([
        'new words',
      ]);
      expect(await store.countChunks(collection.id)).toBe(1);
    });

    it('records the pages read of a running attempt while it parses, and the next attempt starts from none', async () => {
      const { store, collection, batch } = await stores.open();
      const { document } = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'book.pdf',
        sha256: 'book',
        sizeBytes: 1,
      });
      expect(await store.getDocument(document.id)).toMatchObject({ pagesTotal: null, pagesParsed: 0 });
      await store.claim(document.id, 'att_1');
      expect(await store.recordPages(document.id, 'att_stale', { read: 5, total: 10 })).toBe(false);
      expect(await store.recordPages(document.id, 'att_1', { read: 5, total: 10 })).toBe(true);
      expect(await store.getDocument(document.id)).toMatchObject({ pagesTotal: 10, pagesParsed: 5 });
      // Past parsing, a late count changes nothing.
      await store.setStage(document.id, 'att_1', 'chunking');
      expect(await store.recordPages(document.id, 'att_1', { read: 7, total: 10 })).toBe(false);
      expect(await store.getDocument(document.id)).toMatchObject({ pagesTotal: 10, pagesParsed: 5 });
      await store.scheduleRetry(document.id, 'att_1', 'worker_crashed', 'lost', new Date());
      await store.claim(document.id, 'att_2');
      expect(await store.getDocument(document.id)).toMatchObject({ pagesTotal: null, pagesParsed: 0 });
    });

    it('tracks retries, failures, cancels, requeues and batch progress', async () => {
      const { store, collection, batch } = await stores.open();
      const reg = (source: string) =>
        store.registerDocument({
          collectionId: collection.id,
          batchId: batch.id,
          source,
          sha256: source,
          sizeBytes: 1,
        });
      const a = (await reg('a')).document;
      const b = (await reg('b')).document;
      const c = (await reg('c')).document;
      await store.claim(a.id, 'x');
      expect(await store.scheduleRetry(a.id, 'x', 'embedder_failed', 'down', new Date(Date.now() + 5000))).toBe(true);
      expect(await store.getDocument(a.id)).toMatchObject({ state: 'queued', errorCode: 'embedder_failed' });
      await store.claim(a.id, 'y');
      expect(await store.fail(a.id, 'y', 'corrupt_file', 'bad')).toBe(true);
      expect(await store.cancel(b.id)).toMatchObject({ state: 'cancelled' });
      expect(await store.cancel(b.id)).toBeUndefined();
      expect((await store.listUnfinished()).map((d) => d.id)).toEqual([c.id]);
      const progress = await store.getBatchProgress(batch.id);
      expect(progress).toMatchObject({
        filesTotal: 3,
        filesDone: 2,
        finished: false,
        byState: { failed: 1, cancelled: 1, queued: 1 },
      });
      const requeued = await store.requeue({ state: 'failed', batchId: batch.id });
      expect(requeued.map((d) => d.id)).toEqual([a.id]);
      expect(await store.getDocument(a.id)).toMatchObject({ state: 'queued', attempts: 0, errorCode: null });
      const rejected = await store.recordRejected({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'huge',
        sizeBytes: 9,
        code: 'file_too_large',
        message: 'too big',
      });
      expect(rejected).toMatchObject({ state: 'failed', errorCode: 'file_too_large' });
      const page1 = await store.listDocuments({ batchId: batch.id, limit: 2 });
      const page2 = await store.listDocuments({ batchId: batch.id, limit: 2, after: page1[1]!.id });
      expect([...page1, ...page2].map((d) => d.id)).toEqual([a.id, b.id, c.id, rejected.id]);
    });

    it('starts an attempt: counts it, names its worker, and keeps what a retry or a failure says', async () => {
      const fixture = await stores.open();
      const { store } = fixture;
      const doc = await register(fixture, 'a');
      expect(await store.claim(doc.id, 'att_1', 'wrk_1')).toMatchObject({
        state: 'parsing',
        attempts: 1,
        attemptId: 'att_1',
        workerId: 'wrk_1',
      });
      const retryAt = new Date(Date.now() + 30_000);
      expect(await store.scheduleRetry(doc.id, 'att_1', 'embedder_rate_limited', 'slow down', retryAt)).toBe(true);
      expect(await store.getDocument(doc.id)).toMatchObject({
        state: 'queued',
        errorCode: 'embedder_rate_limited',
        errorMessage: 'slow down',
        availableAt: retryAt.toISOString(),
      });
      expect(await store.claim(doc.id, 'att_2')).toMatchObject({
        state: 'parsing',
        attempts: 2,
        attemptId: 'att_2',
        availableAt: null,
      });
      expect(await store.fail(doc.id, 'att_2', 'corrupt_file', 'broken')).toBe(true);
      expect(await store.getDocument(doc.id)).toMatchObject({
        state: 'failed',
        errorCode: 'corrupt_file',
        errorMessage: 'broken',
        completedAt: expect.any(String),
      });
      expect(await store.claim('doc_unknown', 'att')).toBeUndefined();
      expect(await store.cancel('doc_unknown')).toBeUndefined();
    });

    it('publishes a document without its failed chunks as completed_with_errors, naming them', async () => {
      const fixture = await stores.open();
      const { store, collection } = fixture;
      const doc = await register(fixture, 'a');
      const partial = {
        chunksTotal: 3,
        failedChunks: [1],
        code: 'embedder_rejected' as const,
        message: 'chunk 1 refused',
      };
      expect(
        await publish(
          store,
          doc.id,
          'att',
          [chunk(0, 'first part', [1, 0, 0, 0]), chunk(2, 'third part', [0, 1, 0, 0])],
          partial,
        ),
      ).toBe(true);
      expect(await store.getDocument(doc.id)).toMatchObject({
        state: 'completed_with_errors',
        chunksTotal: 3,
        chunksEmbedded: 2,
        failedChunks: [1],
        errorCode: 'embedder_rejected',
        errorMessage: 'chunk 1 refused',
      });
      expect((await store.searchText(collection.id, 'part', 5)).map((h) => h.index).sort()).toEqual([0, 2]);
      // Retryable by hand: queued again with a fresh budget, its published chunks searchable until replaced.
      expect((await store.requeue({ state: 'completed_with_errors', documentId: doc.id })).map((d) => d.id)).toEqual([
        doc.id,
      ]);
      expect(await store.getDocument(doc.id)).toMatchObject({
        state: 'queued',
        attempts: 0,
        failedChunks: [],
        errorCode: null,
      });
      expect(await store.countChunks(collection.id)).toBe(2);
    });

    it('requeues only what the filter names, and never a file refused before it was stored', async () => {
      const fixture = await stores.open();
      const { store, tenant, collection, batch } = fixture;
      const fail = async (source: string, batchId = batch.id, collectionId = collection.id) => {
        const { document } = await store.registerDocument({
          collectionId,
          batchId,
          source,
          sha256: source,
          sizeBytes: 1,
        });
        await store.claim(document.id, `att_${source}`);
        await store.fail(document.id, `att_${source}`, 'embedder_unavailable', 'down');
        return document.id;
      };
      const a = await fail('a');
      const other = await store.createBatch(collection.id, 'other');
      const b = await fail('b', other.id);
      const elsewhere = await store.ensureCollection(tenant.id, 'elsewhere', fixture.collection.embedder);
      const c = await fail('c', (await store.createBatch(elsewhere.id, 'x')).id, elsewhere.id);
      const cancelled = await register(fixture, 'cancelled');
      await store.cancel(cancelled.id);
      await store.recordRejected({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'huge',
        sizeBytes: 9,
        code: 'file_too_large',
        message: 'too big',
      });

      expect((await store.requeue({ state: 'failed', batchId: other.id })).map((d) => d.id)).toEqual([b]);
      expect((await store.requeue({ state: 'failed', collectionId: collection.id })).map((d) => d.id)).toEqual([a]);
      expect((await store.requeue({ state: 'cancelled', documentId: cancelled.id })).map((d) => d.id)).toEqual([
        cancelled.id,
      ]);
      expect((await store.requeue({ state: 'failed' })).map((d) => d.id)).toEqual([c]);
      expect(await store.requeue({ state: 'failed' })).toEqual([]);
    });

    describe('the table of allowed transitions', () => {
      const shared = useSharedStore(createStore);

      for (const move of moves) {
        it(`${move.label}: moves a document exactly from the states core's table allows, and a refused move changes nothing`, async () => {
          const fixture = shared();
          const { store } = fixture;
          // Fenced moves are tried by the attempt that holds the document; the stale-attempt case below covers the rest.
          for (const from of startingPoints.filter((p) => p.held || !move.fenced)) {
            const placed = await from.place(fixture, `${move.label} from ${from.label}`);
            const before = await store.getDocument(placed.id);
            const moved = await move.run(fixture, placed, placed.current ?? placed.stale);
            const allowed = mayMove(move, from.state);
            expect.soft(moved, `${move.label} from ${from.label}: did it move?`).toBe(allowed);
            const after = await store.getDocument(placed.id);
            if (allowed) {
              expect.soft(after?.state, `${move.label} from ${from.label}: the state after`).toBe(move.to);
            } else {
              expect.soft(after, `a refused ${move.label} from ${from.label} changes nothing`).toEqual(before);
            }
          }
        });
      }

      it('a stale attempt moves nothing, from any state', async () => {
        const fixture = shared();
        const { store } = fixture;
        for (const from of startingPoints) {
          const placed = await from.place(fixture, `stale from ${from.label}`);
          const before = await store.getDocument(placed.id);
          for (const move of moves.filter((m) => m.fenced)) {
            expect
              .soft(
                await move.run(fixture, placed, placed.stale),
                `${move.label} by a stale attempt from ${from.label}`,
              )
              .toBe(false);
          }
          expect
            .soft(
              await store.recordEmbedded(placed.id, placed.stale, 0, 1),
              `recordEmbedded by a stale attempt from ${from.label}`,
            )
            .toBeUndefined();
          expect
            .soft(await store.getDocument(placed.id), `a stale attempt changed a document in ${from.label}`)
            .toEqual(before);
        }
      });
    });
  });
}
