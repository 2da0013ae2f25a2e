import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { register, spec, useStores } from './store-fixtures.js';

/** Counting a collection's page lines, to find the ones repeated on many of its pages. */
export function describeRepeatedLinesContract(name: string, createStore: StoreFactory): void {
  describe(`Repeated lines contract: ${name}`, () => {
    const stores = useStores(createStore);
    const rule = { share: 0.5, minDocuments: 3 };

    it('counts each page once, and names the lines on enough of the pages counted so far', async () => {
      const fixture = await stores.open();
      const { store } = fixture;
      const page = async (source: string, keys: string[], attempt = `att_${source}`) => {
        const document = await register(fixture, source);
        await store.claim(document.id, attempt);
        return store.countRepeatedLines(document.id, attempt, keys, rule);
      };
      // Too few pages yet: nothing is repeated.
      expect(await page('p1', ['banner', 'a'])).toEqual([]);
      expect(await page('p2', ['banner', 'b'])).toEqual([]);
      expect((await page('p3', ['banner', 'c'])).sort()).toEqual(['banner']);
      // 'a' is on 2 of 4 pages, under the minimum of 3; 'banner' on 4 of 4.
      expect((await page('p4', ['banner', 'a', 'd'])).sort()).toEqual(['banner']);
      expect((await page('p5', ['banner', 'a'])).sort()).toEqual(['a', 'banner']);

      // Another attempt of a page counted already counts nothing more; a stale attempt gets nothing.
      const p1 = (await store.listDocuments({ collectionId: fixture.collection.id })).find((d) => d.source === 'p1')!;
      await store.claim(p1.id, 'att_again');
      expect(await store.countRepeatedLines(p1.id, 'att_stale', ['banner'], rule)).toEqual([]);
      for (let i = 0; i < 3; i++) {
        await store.countRepeatedLines(p1.id, 'att_again', ['only-here'], rule);
      }
      expect(await page('p6', ['only-here'])).toEqual([]);
    });

    it('keeps each collection its own counts', async () => {
      const fixture = await stores.open();
      const { store, tenant } = fixture;
      const other = await store.ensureCollection(tenant.id, 'other', spec);
      const otherBatch = await store.createBatch(other.id, 'x');
      for (let i = 0; i < 4; i++) {
        const document = await register(fixture, `mine${i}`);
        await store.claim(document.id, `att_m${i}`);
        await store.countRepeatedLines(document.id, `att_m${i}`, ['banner'], rule);
      }
      const document = await register({ store, collection: other, batch: otherBatch }, 'theirs');
      await store.claim(document.id, 'att_t');
      expect(await store.countRepeatedLines(document.id, 'att_t', ['banner'], rule)).toEqual([]);
      await store.deleteCollection(fixture.collection.id);
      expect(await store.getCollection(fixture.collection.id)).toBeUndefined();
    });
  });
}
