import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { chunk, publish, register, useStores } from './store-fixtures.js';

/** Copies (the same bytes under another source of the collection) share their original's end. */
export function describeCopiesContract(name: string, createStore: StoreFactory): void {
  describe(`Copies contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('keeps a copy of an unfinished original waiting, never dispatched or claimed, and skips it once the original completes', async () => {
      const fixture = await stores.open();
      const { store, tenant } = fixture;
      const original = await register(fixture, 'a.txt', { sha256: 'same' });
      const copy = await register(fixture, 'b.txt', { sha256: 'same' });
      expect(copy).toMatchObject({ state: 'queued', duplicateOf: original.id });
      // The same source again is the same file still pending: nothing new.
      expect((await register(fixture, 'a.txt', { sha256: 'same' })).id).toBe(original.id);
      expect(await store.dispatch(tenant.id, { maxInFlight: 0 })).toEqual([{ documentId: original.id, turn: 0 }]);
      expect(await store.listTenantsAwaitingDispatch()).toEqual([]);
      expect(await store.claim(copy.id, 'att_c')).toBeUndefined();
      await store.claim(original.id, 'att_o');
      expect(await store.settleCopies(original.id)).toEqual([]);
      expect(await store.listStrandedOriginals()).toEqual([]);

      await store.setStage(original.id, 'att_o', 'indexing');
      await store.complete(original.id, 'att_o', 'text/plain', [chunk(0, 'text', [1, 0, 0, 0])]);
      expect(await store.listStrandedOriginals()).toEqual([original.id]);
      const settled = await store.settleCopies(original.id);
      expect(settled).toEqual([expect.objectContaining({ id: copy.id, state: 'skipped', duplicateOf: original.id })]);
      expect(await store.settleCopies(original.id)).toEqual([]);
      expect(await store.listStrandedOriginals()).toEqual([]);
      // Once the original is done, a copy is skipped as it arrives.
      expect(await register(fixture, 'c.txt', { sha256: 'same' })).toMatchObject({
        state: 'skipped',
        duplicateOf: original.id,
      });
    });

    it('fails the copies of an original that failed, with its code', async () => {
      const fixture = await stores.open();
      const { store } = fixture;
      const original = await register(fixture, 'bad.pdf', { sha256: 'bad' });
      const copies = [
        await register(fixture, 'bad-1.pdf', { sha256: 'bad' }),
        await register(fixture, 'bad-2.pdf', { sha256: 'bad' }),
      ];
      await store.claim(original.id, 'att_o');
      await store.fail(original.id, 'att_o', 'corrupt_file', 'no trailer');
      const settled = await store.settleCopies(original.id);
      expect(settled.map((doc) => doc.id).sort()).toEqual(copies.map((doc) => doc.id).sort());
      for (const doc of settled) {
        expect(doc).toMatchObject({ state: 'failed', errorCode: 'corrupt_file' });
        expect(doc.errorMessage).toContain(original.id);
      }
      // Bytes whose only document failed are processed again when they arrive again.
      const again = await register(fixture, 'bad-3.pdf', { sha256: 'bad' });
      expect(again).toMatchObject({ state: 'queued', duplicateOf: null });
      // A copy retried by hand is processed in its own right.
      const [retried] = await store.requeue({ documentId: copies[0]!.id, state: 'failed' });
      expect(retried).toMatchObject({ state: 'queued', duplicateOf: null });
    });

    it("lets the oldest copy take a cancelled original's place, and the others wait for it", async () => {
      const fixture = await stores.open();
      const { store, tenant } = fixture;
      const original = await register(fixture, 'a.txt', { sha256: 'same' });
      const first = await register(fixture, 'b.txt', { sha256: 'same' });
      const second = await register(fixture, 'c.txt', { sha256: 'same' });
      await store.cancel(original.id);
      expect(await store.listStrandedOriginals()).toEqual([original.id]);
      expect(await store.settleCopies(original.id)).toEqual([
        expect.objectContaining({ id: first.id, state: 'queued', duplicateOf: null }),
      ]);
      expect(await store.getDocument(second.id)).toMatchObject({ state: 'queued', duplicateOf: first.id });
      expect(await store.dispatch(tenant.id, { maxInFlight: 0 })).toEqual([{ documentId: first.id, turn: 0 }]);
      await publish(store, first.id, 'att_f', [chunk(0, 'text', [1, 0, 0, 0])]);
      expect((await store.settleCopies(first.id)).map((doc) => [doc.id, doc.state])).toEqual([[second.id, 'skipped']]);
    });

    it('lets the copies waiting for an original go on when it takes new bytes, and keeps them when it is deleted', async () => {
      const fixture = await stores.open();
      const { store } = fixture;
      const original = await register(fixture, 'a.txt', { sha256: 'old' });
      const copy = await register(fixture, 'b.txt', { sha256: 'old' });
      // A new version of the original's source: the copy's bytes are no longer being processed there.
      expect((await register(fixture, 'a.txt', { sha256: 'new' })).id).toBe(original.id);
      expect(await store.getDocument(copy.id)).toMatchObject({ state: 'queued', duplicateOf: null });

      const other = await register(fixture, 'c.txt', { sha256: 'again' });
      const waiting = await register(fixture, 'd.txt', { sha256: 'again' });
      await publish(store, other.id, 'att_o', [chunk(0, 'text', [1, 0, 0, 0])]);
      const skipped = await register(fixture, 'e.txt', { sha256: 'again' });
      expect(skipped.state).toBe('skipped');
      await store.deleteDocument(other.id);
      // The skipped copy goes with its original; one still waiting is a document of its own.
      expect(await store.getDocument(skipped.id)).toBeUndefined();
      expect(await store.getDocument(waiting.id)).toMatchObject({ state: 'queued' });
    });
  });
}
