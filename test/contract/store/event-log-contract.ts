import { describe, expect, it } from 'vitest';
import type { SluiceEvent, StoredEvent } from '../../../src/ports/event-bus.js';
import type { StoreFactory } from './store-fixtures.js';
import { useStores } from './store-fixtures.js';

/** The `EventLog` role: the durable, numbered log of progress events that streams replay from. */
export function describeEventLogContract(name: string, createStore: StoreFactory): void {
  describe(`EventLog contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('logs progress with the counts as they stand, so batches that publish out of order never move it backwards', async () => {
      const { store, collection, batch } = await stores.open();
      const { document } = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'a.txt',
        sha256: 'aa',
        sizeBytes: 1,
      });
      await store.claim(document.id, 'att_1');
      await store.setStage(document.id, 'att_1', 'embedding', { chunksTotal: 12, chunksEmbedded: 0 });
      const first = await store.recordEmbedded(document.id, 'att_1', 0, 4);
      const second = await store.recordEmbedded(document.id, 'att_1', 1, 4);
      const at = new Date().toISOString();
      const progress = (counts: { chunksTotal: number; chunksEmbedded: number }) =>
        store.appendEvent({ type: 'document.progress', documentId: document.id, batchId: batch.id, ...counts, at });
      // The second batch's event is logged before the first one's, as concurrent batches may do.
      const logged = [await progress(second!), await progress(first!)];
      expect(logged.map((e) => e.type === 'document.progress' && e.chunksEmbedded)).toEqual([8, 8]);
      const read = await store.listEvents({ documentId: document.id, afterSeq: 0, limit: 10 });
      expect(read.map((e) => e.type === 'document.progress' && [e.chunksEmbedded, e.chunksTotal])).toEqual([
        [8, 12],
        [8, 12],
      ]);
      // A document that is gone leaves the event as it was sent.
      const orphan = await store.appendEvent({
        type: 'document.progress',
        documentId: 'doc_gone',
        batchId: batch.id,
        chunksEmbedded: 3,
        chunksTotal: 5,
        at,
      });
      expect(orphan).toMatchObject({ chunksEmbedded: 3, chunksTotal: 5 });
    });

    it('keeps an ordered event log', async () => {
      const { store } = await stores.open();
      const at = new Date().toISOString();
      const appended = [];
      for (const [batchId, documentId] of [
        ['b1', 'd1'],
        ['b2', 'd2'],
        ['b1', 'd3'],
      ] as const) {
        appended.push(
          await store.appendEvent({ type: 'document.state', batchId, documentId, state: 'queued', attempt: 0, at }),
        );
      }
      expect(appended[1]!.seq).toBeGreaterThan(appended[0]!.seq);
      const ofBatch = await store.listEvents({ batchId: 'b1', afterSeq: 0, limit: 10 });
      expect(ofBatch.map((e) => e.documentId)).toEqual(['d1', 'd3']);
      expect(await store.listEvents({ batchId: 'b1', afterSeq: ofBatch[0]!.seq, limit: 10 })).toEqual([ofBatch[1]]);
      expect((await store.listEvents({ documentId: 'd2', afterSeq: 0, limit: 10 }))[0]).toMatchObject({
        state: 'queued',
        batchId: 'b2',
      });
    });

    it('numbers every event above all before it, stores it as sent, and reads after any number, oldest first, up to the limit', async () => {
      const { store } = await stores.open();
      const at = new Date().toISOString();
      const events: SluiceEvent[] = [
        { type: 'document.state', batchId: 'b1', documentId: 'd1', state: 'parsing', attempt: 1, at },
        {
          type: 'document.state',
          batchId: 'b1',
          documentId: 'd1',
          state: 'failed',
          attempt: 1,
          errorCode: 'corrupt_file',
          errorMessage: 'bad “bytes”',
          at,
        },
        { type: 'document.progress', batchId: 'b1', documentId: 'd2', chunksEmbedded: 1, chunksTotal: 3, at },
        { type: 'document.state', batchId: 'b2', documentId: 'd3', state: 'queued', attempt: 0, at },
        { type: 'document.state', batchId: 'b1', documentId: 'd2', state: 'completed', attempt: 1, at },
      ];
      const stored: StoredEvent[] = [];
      for (const event of events) {
        stored.push(await store.appendEvent(event));
      }
      expect(stored).toEqual(events.map((event, i) => ({ ...event, seq: stored[i]!.seq })));
      const seqs = stored.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);

      const ofBatch = await store.listEvents({ batchId: 'b1', afterSeq: 0, limit: 100 });
      expect(ofBatch).toEqual([stored[0], stored[1], stored[2], stored[4]]);
      expect(await store.listEvents({ batchId: 'b1', afterSeq: 0, limit: 2 })).toEqual([stored[0], stored[1]]);
      expect(await store.listEvents({ batchId: 'b1', afterSeq: stored[1]!.seq, limit: 100 })).toEqual([
        stored[2],
        stored[4],
      ]);
      expect(await store.listEvents({ batchId: 'b1', afterSeq: stored[4]!.seq, limit: 100 })).toEqual([]);
      expect(await store.listEvents({ documentId: 'd2', afterSeq: 0, limit: 100 })).toEqual([stored[2], stored[4]]);
      expect(await store.listEvents({ documentId: 'd1', afterSeq: stored[0]!.seq, limit: 100 })).toEqual([stored[1]]);
      expect(await store.listEvents({ batchId: 'b9', afterSeq: 0, limit: 100 })).toEqual([]);
    });

    it('never logs a document’s progress going backwards, however its batches interleave', async () => {
      const { store, collection, batch } = await stores.open();
      const { document } = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'a',
        sha256: 'a',
        sizeBytes: 1,
      });
      await store.claim(document.id, 'att');
      await store.setStage(document.id, 'att', 'embedding', { chunksTotal: 40, chunksEmbedded: 0 });
      const at = new Date().toISOString();
      // Each batch counts, then logs what its count said: several at once, as workers do.
      await Promise.all(
        Array.from({ length: 8 }, async (_, batchNo) => {
          const counts = await store.recordEmbedded(document.id, 'att', batchNo, 5);
          await store.appendEvent({
            type: 'document.progress',
            documentId: document.id,
            batchId: batch.id,
            chunksEmbedded: counts!.chunksEmbedded,
            chunksTotal: counts!.chunksTotal,
            at,
          });
        }),
      );
      const logged = (await store.listEvents({ documentId: document.id, afterSeq: 0, limit: 100 })).map((e) =>
        e.type === 'document.progress' ? e.chunksEmbedded : -1,
      );
      expect(logged).toHaveLength(8);
      expect(logged).toEqual([...logged].sort((a, b) => a - b));
      expect(logged.at(-1)).toBe(40);
    });
  });
}
