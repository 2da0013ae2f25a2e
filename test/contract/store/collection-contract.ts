import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { chunk, publish, register, spec, useStores } from './store-fixtures.js';

/** The `CollectionStore` role: collections pinned to one embedder, and the batches that fill them. */
export function describeCollectionContract(name: string, createStore: StoreFactory): void {
  describe(`CollectionStore contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('pins a collection to its embedder', async () => {
      const { store, tenant } = await stores.open();
      await expect(store.ensureCollection(tenant.id, 'docs', { ...spec, dimension: 8 })).rejects.toMatchObject({
        code: 'embedder_mismatch',
      });
      expect((await store.ensureCollection(tenant.id, 'docs', spec)).embedder).toEqual(spec);
      // The same name in another tenant is another collection, with its own pin.
      const other = await store.ensureTenant('t2');
      const theirs = await store.ensureCollection(other.id, 'docs', { ...spec, dimension: 8 });
      expect(theirs.tenantId).toBe(other.id);
      expect((await store.listCollections(tenant.id)).map((c) => c.name)).toEqual(['docs']);
    });

    it('finds a collection by id and by its tenant and name, and nothing of another tenant', async () => {
      const { store, tenant, collection } = await stores.open();
      expect(collection).toMatchObject({ tenantId: tenant.id, name: 'docs', embedder: spec, partialSuccess: false });
      expect(await store.ensureCollection(tenant.id, 'docs', spec)).toEqual(collection);
      expect(await store.getCollection(collection.id)).toEqual(collection);
      expect(await store.getCollectionByName(tenant.id, 'docs')).toEqual(collection);
      expect(await store.getCollection('col_unknown')).toBeUndefined();
      expect(await store.getCollectionByName(tenant.id, 'unknown')).toBeUndefined();
      const other = await store.ensureTenant('t2');
      expect(await store.getCollectionByName(other.id, 'docs')).toBeUndefined();
      expect(await store.listCollections(other.id)).toEqual([]);
    });

    it('swaps the names of two collections in one step, and sets whether a collection publishes partial documents', async () => {
      const { store, tenant, collection } = await stores.open();
      const next = await store.ensureCollection(tenant.id, 'docs-next', { ...spec, model: 'newer' });
      await store.swapCollectionNames(tenant.id, 'docs', 'docs-next');
      expect((await store.getCollectionByName(tenant.id, 'docs'))?.id).toBe(next.id);
      expect((await store.getCollectionByName(tenant.id, 'docs-next'))?.id).toBe(collection.id);
      expect((await store.listCollections(tenant.id)).map((c) => c.name).sort()).toEqual(['docs', 'docs-next']);

      expect(await store.setCollectionPartialSuccess(collection.id, true)).toMatchObject({
        id: collection.id,
        partialSuccess: true,
      });
      expect((await store.getCollection(collection.id))?.partialSuccess).toBe(true);
      expect((await store.setCollectionPartialSuccess(collection.id, false))?.partialSuccess).toBe(false);
      expect(await store.setCollectionPartialSuccess('col_unknown', true)).toBeUndefined();
    });

    it('deletes a collection with its batches, documents and chunks, and leaves the others alone', async () => {
      const fixture = await stores.open();
      const { store, tenant, collection, batch } = fixture;
      const doc = await register(fixture, 'a');
      await publish(store, doc.id, 'att_a', [chunk(0, 'shared words here', [1, 0, 0, 0])]);
      const kept = await store.ensureCollection(tenant.id, 'kept', spec);
      const keptBatch = await store.createBatch(kept.id, 'kept');
      const { document: keptDoc } = await store.registerDocument({
        collectionId: kept.id,
        batchId: keptBatch.id,
        source: 'a',
        sha256: 'a',
        sizeBytes: 1,
      });
      await publish(store, keptDoc.id, 'att_k', [chunk(0, 'shared words here', [1, 0, 0, 0])]);

      expect(await store.deleteCollection(collection.id)).toBe(true);
      expect(await store.getCollection(collection.id)).toBeUndefined();
      expect(await store.getBatch(batch.id)).toBeUndefined();
      expect(await store.getDocument(doc.id)).toBeUndefined();
      expect(await store.countChunks(collection.id)).toBe(0);
      expect(await store.deleteCollection(collection.id)).toBe(false);

      expect(await store.countChunks()).toBe(1);
      expect((await store.searchText(kept.id, 'shared', 5)).map((h) => h.documentId)).toEqual([keptDoc.id]);
      expect((await store.searchVector(kept.id, new Float32Array([1, 0, 0, 0]), 5)).length).toBe(1);
      // A collection of that name can be made again, pinned afresh.
      expect((await store.ensureCollection(tenant.id, 'docs', { ...spec, dimension: 8 })).embedder.dimension).toBe(8);
    });

    it('keeps batches, lists them newest first (of one tenant when asked) and tells their progress', async () => {
      const fixture = await stores.open();
      const { store, tenant, collection, batch } = fixture;
      expect(batch).toMatchObject({ collectionId: collection.id, label: 'test' });
      expect(await store.getBatch(batch.id)).toEqual(batch);
      expect(await store.getBatch('bat_unknown')).toBeUndefined();
      const second = await store.createBatch(collection.id, 'second');
      const other = await store.ensureTenant('t2');
      const theirs = await store.createBatch((await store.ensureCollection(other.id, 'docs', spec)).id, 'theirs');
      expect((await store.listBatches(10)).map((b) => b.id)).toEqual([theirs.id, second.id, batch.id]);
      expect((await store.listBatches(2)).map((b) => b.id)).toEqual([theirs.id, second.id]);
      expect((await store.listBatches(10, tenant.id)).map((b) => b.id)).toEqual([second.id, batch.id]);

      expect(await store.getBatchProgress(second.id)).toEqual({
        batch: second,
        filesTotal: 0,
        filesDone: 0,
        byState: {},
        chunksTotal: 0,
        chunksEmbedded: 0,
        pagesTotal: 0,
        pagesParsed: 0,
        workDone: 0,
        finished: true,
      });
      const done = await register(fixture, 'done');
      await publish(store, done.id, 'att_d', [chunk(0, 'a', [1, 0, 0, 0]), chunk(1, 'b', [0, 1, 0, 0])]);
      const running = await register(fixture, 'running');
      await store.claim(running.id, 'att_r');
      await store.setStage(running.id, 'att_r', 'embedding', { chunksTotal: 4, chunksEmbedded: 0 });
      await store.recordEmbedded(running.id, 'att_r', 0, 1);
      // A PDF being read: 300 of its 1,200 pages.
      const reading = await register(fixture, 'reading');
      await store.claim(reading.id, 'att_p');
      expect(await store.recordPages(reading.id, 'att_p', { read: 300, total: 1200 })).toBe(true);
      expect(await store.getBatchProgress(batch.id)).toEqual({
        batch,
        filesTotal: 3,
        filesDone: 1,
        byState: { completed: 1, embedding: 1, parsing: 1 },
        chunksTotal: 6,
        chunksEmbedded: 3,
        pagesTotal: 1200,
        pagesParsed: 300,
        // One done, a quarter of the chunks of the second, half of a quarter of the pages of the third.
        workDone: 1 + 0.25 + 0.125,
        finished: false,
      });
      // The batches of a list, with their progress, read at once, as one by one.
      const listed = await store.listBatchProgress(10, tenant.id);
      expect(listed.map((p) => p.batch.id)).toEqual([second.id, batch.id]);
      expect(listed).toEqual([await store.getBatchProgress(second.id), await store.getBatchProgress(batch.id)]);
      expect((await store.listBatchProgress(1)).map((p) => p.batch.id)).toEqual([theirs.id]);
      await store.cancel(reading.id);
      await store.cancel(running.id);
      expect(await store.getBatchProgress(batch.id)).toMatchObject({
        filesDone: 3,
        workDone: 3,
        pagesTotal: 0,
        finished: true,
      });
      expect(await store.getBatchProgress('bat_unknown')).toBeUndefined();
    });

    it('tells what a collection holds: documents by state, and its raw files bytes once per file', async () => {
      const fixture = await stores.open();
      const { store, collection } = fixture;
      expect(await store.getCollectionStats(collection.id)).toEqual({ documents: {}, storedBytes: 0 });
      const done = await register(fixture, 'a.txt', { sha256: 'a', sizeBytes: 100 });
      await publish(store, done.id, 'att_1', [chunk(0, 'a', [1, 0, 0, 0])]);
      await register(fixture, 'a-copy.txt', { sha256: 'a', sizeBytes: 100 });
      await register(fixture, 'b.txt', { sha256: 'b', sizeBytes: 50 });
      expect(await store.getCollectionStats(collection.id)).toEqual({
        documents: { completed: 1, skipped: 1, queued: 1 },
        storedBytes: 150,
      });
    });
  });
}
