import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { useStores } from './store-fixtures.js';

/** The `IdempotencyStore` role: answers recorded under Idempotency-Keys, first writer wins. */
export function describeIdempotencyContract(name: string, createStore: StoreFactory): void {
  describe(`IdempotencyStore contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('keeps the first idempotent answer', async () => {
      const { store, tenant } = await stores.open();
      expect(await store.putIdempotentResponse(tenant.id, 'k', 'fp-1', 202, '{"a":1}')).toBe(true);
      expect(await store.putIdempotentResponse(tenant.id, 'k', 'fp-2', 500, 'other')).toBe(false);
      expect(await store.getIdempotentResponse(tenant.id, 'k')).toEqual({
        status: 202,
        body: '{"a":1}',
        fingerprint: 'fp-1',
      });
    });

    it('keeps the fingerprint of the request an idempotent answer was first given to, per tenant and key', async () => {
      const { store, tenant } = await stores.open();
      const other = await store.ensureTenant('t2');
      expect(await store.getIdempotentResponse(tenant.id, 'POST /x k')).toBeUndefined();
      expect(await store.putIdempotentResponse(tenant.id, 'POST /x k', 'sha256:aa', 202, '{"n":1}')).toBe(true);
      // The same key of another tenant, or for another target, is another record.
      expect(await store.putIdempotentResponse(other.id, 'POST /x k', 'sha256:bb', 202, '{"n":2}')).toBe(true);
      expect(await store.putIdempotentResponse(tenant.id, 'POST /y k', '', 201, '{"n":3}')).toBe(true);
      // First writer wins: a second answer, with another fingerprint, changes nothing.
      expect(await store.putIdempotentResponse(tenant.id, 'POST /x k', 'sha256:cc', 500, 'late')).toBe(false);
      expect(await store.getIdempotentResponse(tenant.id, 'POST /x k')).toEqual({
        status: 202,
        body: '{"n":1}',
        fingerprint: 'sha256:aa',
      });
      expect(await store.getIdempotentResponse(other.id, 'POST /x k')).toEqual({
        status: 202,
        body: '{"n":2}',
        fingerprint: 'sha256:bb',
      });
      expect(await store.getIdempotentResponse(tenant.id, 'POST /y k')).toEqual({
        status: 201,
        body: '{"n":3}',
        fingerprint: '',
      });
    });

    it('lets exactly one of concurrent writers win, and answers with what it wrote', async () => {
      const { store, tenant } = await stores.open();
      const key = 'POST /v1/collections/col_1/documents 8f1c…';
      const results = await Promise.all(
        [1, 2, 3, 4].map((n) => store.putIdempotentResponse(tenant.id, key, `fp-${n}`, 200 + n, JSON.stringify({ n }))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const n = results.indexOf(true) + 1;
      expect(await store.getIdempotentResponse(tenant.id, key)).toEqual({
        status: 200 + n,
        body: JSON.stringify({ n }),
        fingerprint: `fp-${n}`,
      });
    });

    it('keeps a body of any size and characters as it was given', async () => {
      const { store, tenant } = await stores.open();
      const body = JSON.stringify({ text: 'ünïcödé “quotes” \u0000 and\nlines', pad: 'x'.repeat(200_000) });
      expect(await store.putIdempotentResponse(tenant.id, 'big', 'fp', 202, body)).toBe(true);
      expect((await store.getIdempotentResponse(tenant.id, 'big'))?.body).toBe(body);
    });
  });
}
