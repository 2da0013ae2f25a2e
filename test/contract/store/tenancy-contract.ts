import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { documentStateEvent } from '../../../src/core/document-events.js';
import { chunk, publish, register, spec, useStores } from './store-fixtures.js';

/** The `TenancyStore` role: tenants, their limits and usage, and their API keys. */
export function describeTenancyContract(name: string, createStore: StoreFactory): void {
  describe(`TenancyStore contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('makes a tenant once per name, with no limits of its own until they are set', async () => {
      const { store, tenant } = await stores.open();
      expect(await store.ensureTenant('t1')).toEqual(tenant);
      expect(tenant.limits).toEqual({ maxInFlight: null, maxDocuments: null, maxBytes: null, maxChunks: null });
      expect(await store.getTenant(tenant.id)).toEqual(tenant);
      expect(await store.getTenant('ten_unknown')).toBeUndefined();
      const limits = { maxInFlight: 3, maxDocuments: null, maxBytes: 1000, maxChunks: 0 };
      expect(await store.setTenantLimits(tenant.id, limits)).toEqual({ ...tenant, limits });
      expect((await store.getTenant(tenant.id))?.limits).toEqual(limits);
      expect(await store.setTenantLimits('ten_unknown', limits)).toBeUndefined();
    });

    it('counts what a tenant holds: waiting, running and published documents, the bytes of every raw file it keeps once, and published chunks', async () => {
      const fixture = await stores.open();
      const { store, tenant } = fixture;
      const doc = (source: string, sizeBytes: number) => register(fixture, source, { sizeBytes });
      const published = await doc('published', 100);
      await publish(store, published.id, 'att_p', [chunk(0, 'one', [1, 0, 0, 0]), chunk(1, 'two', [0, 1, 0, 0])]);
      const running = await doc('running', 20);
      await store.claim(running.id, 'att_r');
      await doc('waiting', 3);
      const failed = await doc('failed', 1000);
      await store.claim(failed.id, 'att_f');
      await store.fail(failed.id, 'att_f', 'corrupt_file', 'bad');
      const cancelled = await doc('cancelled', 2000);
      await store.cancel(cancelled.id);
      await register(fixture, 'copy', { sha256: 'published', sizeBytes: 100 });
      // Failed and cancelled documents keep their raw files (they may be retried): their bytes count; a copy's do not.
      expect(await store.getTenantUsage(tenant.id)).toEqual({ documents: 3, bytes: 3123, chunks: 2 });
      // Nothing crosses tenants.
      const other = await store.ensureTenant('t2');
      expect(await store.getTenantUsage(other.id)).toEqual({ documents: 0, bytes: 0, chunks: 0 });
    });

    it('keeps API keys with a name and an expiry, finds only live ones, records use and revokes idempotently', async () => {
      const { store, tenant } = await stores.open();
      const other = await store.ensureTenant('t2');
      const before = Date.now();
      const inAnHour = new Date(before + 3_600_000).toISOString();
      const named = await store.createApiKey({
        tenantId: tenant.id,
        keyHash: 'hash-named',
        prefix: 'AbCd1234',
        admin: false,
        name: 'ci',
        expiresAt: inAnHour,
      });
      expect(named).toEqual({
        id: expect.stringMatching(/^key_/),
        tenantId: tenant.id,
        admin: false,
        prefix: 'AbCd1234',
        name: 'ci',
        createdAt: expect.any(String),
        lastUsedAt: null,
        expiresAt: inAnHour,
        revokedAt: null,
      });
      expect(Date.parse(named.createdAt)).toBeGreaterThanOrEqual(before - 1000);
      const plain = await store.createApiKey({
        tenantId: tenant.id,
        keyHash: 'hash-plain',
        prefix: 'Plain000',
        admin: true,
      });
      expect(plain).toMatchObject({ admin: true, name: null, expiresAt: null });
      const expired = await store.createApiKey({
        tenantId: tenant.id,
        keyHash: 'hash-expired',
        prefix: 'Old00000',
        admin: false,
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      });
      const theirs = await store.createApiKey({
        tenantId: other.id,
        keyHash: 'hash-theirs',
        prefix: 'Them0000',
        admin: false,
      });

      expect(await store.findApiKey('hash-named')).toEqual(named);
      expect(await store.findApiKey('hash-plain')).toEqual(plain);
      expect(await store.findApiKey('hash-expired')).toBeUndefined();
      expect(await store.findApiKey('hash-unknown')).toBeUndefined();
      expect(await store.getApiKey(expired.id)).toEqual(expired);
      expect(await store.getApiKey('key_unknown')).toBeUndefined();

      const mine = await store.listApiKeys(tenant.id);
      expect(mine.map((k) => k.id)).toEqual([named.id, plain.id, expired.id]);
      expect(JSON.stringify(mine)).not.toMatch(/hash-/);
      expect((await store.listApiKeys()).map((k) => k.id)).toEqual([named.id, plain.id, expired.id, theirs.id]);
      expect(await store.listApiKeys('ten_unknown')).toEqual([]);

      await store.recordApiKeyUse(named.id);
      const used = await store.getApiKey(named.id);
      expect(Date.parse(used?.lastUsedAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
      await store.recordApiKeyUse(named.id);
      expect(Date.parse((await store.getApiKey(named.id))?.lastUsedAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(used?.lastUsedAt ?? ''),
      );

      const revoked = await store.revokeApiKey(named.id);
      expect(revoked).toMatchObject({ kind: 'revoked', key: { id: named.id, revokedAt: expect.any(String) } });
      expect(await store.findApiKey('hash-named')).toBeUndefined();
      // Idempotent: a second revocation changes nothing and tells when the first one was.
      expect(await store.revokeApiKey(named.id)).toEqual({ kind: 'already_revoked', key: revoked?.key });
      expect(await store.getApiKey(named.id)).toEqual(revoked?.key);
      expect(await store.revokeApiKey('key_unknown')).toBeUndefined();
      // Nothing else moved.
      expect(await store.findApiKey('hash-theirs')).toEqual(theirs);
      expect(await store.countApiKeys()).toBe(4);
    });

    it('refuses to revoke the last active admin key when asked to keep one, even under concurrent revocations', async () => {
      const { store, tenant } = await stores.open();
      const create = (hash: string, admin: boolean, expiresAt: string | null = null) =>
        store.createApiKey({ tenantId: tenant.id, keyHash: hash, prefix: hash.slice(0, 8), admin, expiresAt });
      const first = await create('admin-1', true);
      const second = await create('admin-2', true);
      const stale = await create('admin-expired', true, new Date(Date.now() - 1000).toISOString());
      const plain = await create('plain-1', false);

      expect((await store.revokeApiKey(first.id, { keepAnAdmin: true }))?.kind).toBe('revoked');
      expect(await store.revokeApiKey(second.id, { keepAnAdmin: true })).toEqual({ kind: 'last_admin', key: second });
      expect(await store.findApiKey('admin-2')).toEqual(second);
      // An expired admin key is no one's way in: revoking it is always allowed, and so is a tenant's key.
      expect((await store.revokeApiKey(stale.id, { keepAnAdmin: true }))?.kind).toBe('revoked');
      expect((await store.revokeApiKey(plain.id, { keepAnAdmin: true }))?.kind).toBe('revoked');
      // Without the guard (the CLI's --force) the last one goes too.
      expect((await store.revokeApiKey(second.id))?.kind).toBe('revoked');

      const a = await create('admin-a', true);
      const b = await create('admin-b', true);
      const outcomes = await Promise.all([a, b].map((k) => store.revokeApiKey(k.id, { keepAnAdmin: true })));
      expect(outcomes.map((o) => o?.kind).sort()).toEqual(['last_admin', 'revoked']);
      expect(
        (await Promise.all([store.findApiKey('admin-a'), store.findApiKey('admin-b')])).filter(Boolean),
      ).toHaveLength(1);
    });

    it('deletes a tenant with its collections, documents, chunks, events, keys and idempotency records, and no other', async () => {
      const fixture = await stores.open();
      const { store, tenant, collection } = fixture;
      const other = await store.ensureTenant('t2');
      const theirs = await store.ensureCollection(other.id, 'theirs', spec);
      const theirBatch = await store.createBatch(theirs.id, 'b');
      const theirDoc = await register({ store, collection: theirs, batch: theirBatch }, 'x');
      const doc = await register(fixture, 'a.txt');
      await publish(store, doc.id, 'att_1', [chunk(0, 'tenant text', [1, 0, 0, 0])]);
      await store.appendEvent(documentStateEvent((await store.getDocument(doc.id))!));
      await store.createApiKey({ tenantId: tenant.id, keyHash: 'mine', prefix: 'p', admin: false });
      await store.createApiKey({ tenantId: other.id, keyHash: 'theirs', prefix: 'p', admin: false });
      await store.putIdempotentResponse(tenant.id, 'k', 'fp', 202, '{}');
      await store.putIdempotentResponse(other.id, 'k', 'fp', 202, '{}');

      expect(await store.deleteTenant(tenant.id)).toBe(true);
      expect(await store.getTenant(tenant.id)).toBeUndefined();
      expect(await store.getCollection(collection.id)).toBeUndefined();
      expect(await store.getDocument(doc.id)).toBeUndefined();
      expect(await store.countChunks(collection.id)).toBe(0);
      expect(await store.listEvents({ documentId: doc.id, afterSeq: 0, limit: 10 })).toEqual([]);
      expect(await store.findApiKey('mine')).toBeUndefined();
      expect(await store.listApiKeys(tenant.id)).toEqual([]);
      expect(await store.getIdempotentResponse(tenant.id, 'k')).toBeUndefined();
      // The other tenant keeps everything.
      expect(await store.getDocument(theirDoc.id)).toBeDefined();
      expect(await store.findApiKey('theirs')).toBeDefined();
      expect(await store.getIdempotentResponse(other.id, 'k')).toBeDefined();
      expect(await store.deleteTenant(tenant.id)).toBe(false);
    });

    it('counts every key ever made, from zero on a fresh deployment', async () => {
      const { store, tenant } = await stores.open();
      expect(await store.countApiKeys()).toBe(0);
      const key = await store.createApiKey({ tenantId: tenant.id, keyHash: 'h', prefix: 'p', admin: true });
      await store.revokeApiKey(key.id);
      expect(await store.countApiKeys()).toBe(1);
    });
  });
}
