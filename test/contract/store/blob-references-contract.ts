import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { register, spec, useStores } from './store-fixtures.js';

const key = (n: number): string => n.toString(16).padStart(64, '0');

/** The `BlobReferences` role: which raw files documents and uploads in progress still need. */
export function describeBlobReferencesContract(name: string, createStore: StoreFactory): void {
  describe(`BlobReferences contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('calls a blob unreferenced once no document of any collection or tenant refers to it', async () => {
      const fixture = await stores.open();
      const { store } = fixture;
      const other = await store.ensureTenant('t2');
      const elsewhere = await store.ensureCollection(other.id, 'theirs', spec);
      const theirBatch = await store.createBatch(elsewhere.id, 'b');
      const mine = await register(fixture, 'a.txt', { sha256: key(1) });
      await register({ store, collection: elsewhere, batch: theirBatch }, 'copy.txt', { sha256: key(1) });
      await register(fixture, 'b.txt', { sha256: key(2) });
      expect(await store.unreferencedBlobs([key(1), key(2), key(3)])).toEqual([key(3)]);
      expect(await store.unreferencedBlobs([])).toEqual([]);

      await store.deleteDocument(mine.id);
      expect(await store.unreferencedBlobs([key(1)])).toEqual([]);
      await store.deleteCollection(elsewhere.id);
      expect(await store.unreferencedBlobs([key(1), key(2)])).toEqual([key(1)]);
    });

    it('counts a failed document as a reference: it may be retried', async () => {
      const fixture = await stores.open();
      const doc = await register(fixture, 'a.txt', { sha256: key(1) });
      await fixture.store.claim(doc.id, 'att_1');
      await fixture.store.fail(doc.id, 'att_1', 'corrupt_file', 'bad');
      expect(await fixture.store.unreferencedBlobs([key(1)])).toEqual([]);
    });

    it('keeps held blobs until the hold is released or lapses', async () => {
      const { store } = await stores.open();
      const hold = await store.holdBlobs([key(1), key(2), key(1)], 60_000, 'host-a/12');
      const lapsing = await store.holdBlobs([key(3)], 1, 'host-a/13');
      expect(hold.startsWith('host-a/12/')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await store.unreferencedBlobs([key(1), key(2), key(3)])).toEqual([key(3)]);
      expect(await store.blobHolds()).toEqual([hold]);
      await store.releaseBlobHold(hold);
      await store.releaseBlobHold(lapsing);
      expect((await store.unreferencedBlobs([key(1), key(2), key(3)])).sort()).toEqual([key(1), key(2), key(3)]);
    });

    it('lists the blobs of a document with its skipped copies, of a collection and of a tenant', async () => {
      const fixture = await stores.open();
      const { store, collection, tenant } = fixture;
      const original = await register(fixture, 'a.txt', { sha256: key(1) });
      const copy = await register(fixture, 'a-copy.txt', { sha256: key(1) });
      expect(copy.duplicateOf).toBe(original.id);
      await register(fixture, 'b.txt', { sha256: key(2) });
      await store.recordRejected({
        collectionId: collection.id,
        batchId: fixture.batch.id,
        source: 'big.bin',
        sizeBytes: 10,
        code: 'file_too_large',
        message: 'too large',
      });
      const other = await store.ensureCollection(tenant.id, 'more', spec);
      const batch = await store.createBatch(other.id, 'b');
      await register({ store, collection: other, batch }, 'c', { sha256: key(3) });

      expect(await store.blobKeysOf({ documentId: original.id })).toEqual([key(1)]);
      expect((await store.blobKeysOf({ collectionId: collection.id })).sort()).toEqual([key(1), key(2)]);
      expect((await store.blobKeysOf({ tenantId: tenant.id })).sort()).toEqual([key(1), key(2), key(3)]);
      expect(await store.blobKeysOf({ documentId: 'doc_none' })).toEqual([]);
    });
  });
}
