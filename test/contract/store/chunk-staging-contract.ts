import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../../src/core/types.js';
import type { StoreFactory } from './store-fixtures.js';
import { register, useStores } from './store-fixtures.js';

const chunks: Chunk[] = Array.from({ length: 5 }, (_, index) => ({
  index,
  text: `chunk ${index} ünïcödé`,
  tokenCount: 3 + index,
  charStart: index * 20,
  charEnd: index * 20 + 15,
  page: index < 3 ? 1 : null,
}));

/** The `ChunkStaging` role: a running attempt's chunks and vectors between its fan-out and fan-in. */
export function describeChunkStagingContract(name: string, createStore: StoreFactory): void {
  describe(`ChunkStaging contract: ${name}`, () => {
    const stores = useStores(createStore);

    it("keeps a running attempt's chunks, gives them back by index range, and their vectors as they come", async () => {
      const fixture = await stores.open();
      const { store } = fixture;
      const doc = await register(fixture, 'a.txt');
      await store.claim(doc.id, 'att_1');
      expect(await store.stageChunks(doc.id, 'att_2', chunks)).toBe(false);
      expect(await store.stageChunks(doc.id, 'att_1', chunks)).toBe(true);
      expect(await store.stagedChunks(doc.id, 'att_1', 1, 3)).toEqual(chunks.slice(1, 3));
      expect(await store.stagedChunks(doc.id, 'att_1', 3, 100)).toEqual(chunks.slice(3));
      expect(await store.stagedChunks(doc.id, 'att_2', 0, 100)).toEqual([]);
      expect(await store.embeddedChunks(doc.id, 'att_1')).toEqual([]);

      const vector = (i: number) => new Float32Array([i, -i / 3, 1e-7 * i, Math.PI]);
      expect(
        await store.stageVectors(
          doc.id,
          'att_1',
          [3, 4].map((index) => ({ index, vector: vector(index) })),
        ),
      ).toBe(true);
      expect(
        await store.stageVectors(
          doc.id,
          'att_1',
          [0, 1, 2].map((index) => ({ index, vector: vector(index) })),
        ),
      ).toBe(true);
      expect(await store.stageVectors(doc.id, 'att_2', [{ index: 0, vector: vector(0) }])).toBe(false);
      expect(await store.embeddedChunks(doc.id, 'att_1')).toEqual(
        chunks.map((chunk) => ({ ...chunk, vector: vector(chunk.index) })),
      );
      // Published: what the attempt staged goes with the same transaction.
      for (const stage of ['chunking', 'embedding', 'indexing'] as const) {
        await store.setStage(doc.id, 'att_1', stage);
      }
      expect(await store.complete(doc.id, 'att_1', 'text/plain', await store.embeddedChunks(doc.id, 'att_1'))).toBe(
        true,
      );
      expect(await store.stagedChunks(doc.id, 'att_1', 0, 100)).toEqual([]);
    });

    it('keeps one attempt of a document at a time, and drops what attempts no longer running kept', async () => {
      const fixture = await stores.open();
      const { store } = fixture;
      const first = await register(fixture, 'a.txt');
      const second = await register(fixture, 'b.txt');
      await store.claim(first.id, 'att_1');
      await store.stageChunks(first.id, 'att_1', chunks);
      // A new attempt (the first one's worker died) replaces what the first kept.
      await store.claim(first.id, 'att_2');
      await store.stageChunks(first.id, 'att_2', chunks.slice(0, 2));
      expect(await store.stagedChunks(first.id, 'att_1', 0, 100)).toEqual([]);
      expect(await store.stagedChunks(first.id, 'att_2', 0, 100)).toEqual(chunks.slice(0, 2));
      // A document that ends drops what it staged, in the same transaction; so does one deleted.
      await store.claim(second.id, 'att_3');
      await store.stageChunks(second.id, 'att_3', chunks);
      await store.fail(second.id, 'att_3', 'corrupt_file', 'bad');
      expect(await store.stagedChunks(second.id, 'att_3', 0, 100)).toEqual([]);
      const third = await register(fixture, 'c.txt');
      await store.claim(third.id, 'att_4');
      await store.stageChunks(third.id, 'att_4', chunks);
      await store.deleteDocument(third.id);
      expect(await store.stagedChunks(third.id, 'att_4', 0, 100)).toEqual([]);
      const never = new Date(Date.now() - 3_600_000);
      await store.prune({ events: never, idempotency: never, batches: never });
      expect(await store.stagedChunks(first.id, 'att_2', 0, 100)).toEqual(chunks.slice(0, 2));
      await store.dropStagedChunks(first.id);
      expect(await store.stagedChunks(first.id, 'att_2', 0, 100)).toEqual([]);
    });
  });
}
