import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { useStores } from './store-fixtures.js';

/** The `EmbeddingCache` role: vectors by (model, dimension, SHA-256 of the text). */
export function describeEmbeddingCacheContract(name: string, createStore: StoreFactory): void {
  describe(`EmbeddingCache contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('keeps the first vector put for a text, and gives it back only for its model and dimension', async () => {
      const { store } = await stores.open();
      await store.putCachedEmbeddings('m', 2, [{ textHash: 'h1', vector: new Float32Array([0.5, -1]) }]);
      await store.putCachedEmbeddings('m', 2, [{ textHash: 'h1', vector: new Float32Array([9, 9]) }]);
      const cached = await store.getCachedEmbeddings('m', 2, ['h1', 'h2']);
      expect([...cached.keys()]).toEqual(['h1']);
      expect([...cached.get('h1')!]).toEqual([0.5, -1]);
      expect((await store.getCachedEmbeddings('m', 3, ['h1'])).size).toBe(0);
    });

    it('keeps one vector per model and dimension for the same text, each exactly as it was put', async () => {
      const { store } = await stores.open();
      const precise = Float32Array.from({ length: 384 }, (_, i) => Math.fround(Math.sin(i) / 7));
      await store.putCachedEmbeddings('hash:a', 384, [
        { textHash: 'h1', vector: precise },
        { textHash: 'h2', vector: new Float32Array(384).fill(-0.25) },
      ]);
      await store.putCachedEmbeddings('hash:b', 384, [{ textHash: 'h1', vector: new Float32Array(384).fill(1) }]);
      await store.putCachedEmbeddings('hash:a', 2, [{ textHash: 'h1', vector: new Float32Array([3, 4]) }]);

      const a = await store.getCachedEmbeddings('hash:a', 384, ['h2', 'h1', 'h3']);
      expect([...a.keys()].sort()).toEqual(['h1', 'h2']);
      expect(a.get('h1')).toEqual(precise);
      expect(a.get('h1')).toBeInstanceOf(Float32Array);
      expect([...new Set(a.get('h2'))]).toEqual([-0.25]);
      expect([...new Set((await store.getCachedEmbeddings('hash:b', 384, ['h1'])).get('h1'))]).toEqual([1]);
      expect([...(await store.getCachedEmbeddings('hash:a', 2, ['h1'])).get('h1')!]).toEqual([3, 4]);
      expect((await store.getCachedEmbeddings('hash:c', 384, ['h1'])).size).toBe(0);
    });

    it('answers an empty question and takes an empty put', async () => {
      const { store } = await stores.open();
      await store.putCachedEmbeddings('m', 2, []);
      expect((await store.getCachedEmbeddings('m', 2, [])).size).toBe(0);
    });
  });
}
