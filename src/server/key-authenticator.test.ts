import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../ports/store.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import { mintApiKey } from './api-keys.js';
import { createKeyAuthenticator } from './key-authenticator.js';

describe('createKeyAuthenticator', () => {
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  async function setup(expiresAt: string | null = null) {
    const store = createSqliteStore({ path: ':memory:' });
    stores.push(store);
    const tenant = await store.ensureTenant('t1');
    const minted = mintApiKey();
    const key = await store.createApiKey({
      tenantId: tenant.id,
      keyHash: minted.keyHash,
      prefix: minted.prefix,
      admin: false,
      expiresAt,
    });
    // The real store, with its writes of last use counted.
    const recorded: string[] = [];
    const counting = {
      findApiKey: (hash: string) => store.findApiKey(hash),
      recordApiKeyUse: (id: string) => {
        recorded.push(id);
        return store.recordApiKeyUse(id);
      },
    };
    return { store, key, secret: minted.secret, recorded, counting };
  }

  it('finds a live key by its secret and records its use at most once a minute', async () => {
    const { store, key, secret, recorded, counting } = await setup();
    let clock = 1_000_000;
    const auth = createKeyAuthenticator(counting, { now: () => clock });

    expect(await auth.authenticate(secret)).toMatchObject({ id: key.id, tenantId: key.tenantId });
    await vi.waitFor(async () => expect((await store.getApiKey(key.id))?.lastUsedAt).not.toBeNull());
    expect(recorded).toEqual([key.id]);

    clock += 59_000;
    await auth.authenticate(secret);
    expect(recorded).toHaveLength(1);
    clock += 1_000;
    await auth.authenticate(secret);
    expect(recorded).toHaveLength(2);
  });

  it('refuses unknown, revoked and expired keys, and records nothing for them', async () => {
    const { store, key, secret, recorded, counting } = await setup();
    const auth = createKeyAuthenticator(counting);
    expect(await auth.authenticate('sk_not-a-key')).toBeUndefined();
    await store.revokeApiKey(key.id);
    expect(await auth.authenticate(secret)).toBeUndefined();

    const expired = await setup(new Date(Date.now() + 300).toISOString());
    const authExpired = createKeyAuthenticator(expired.counting);
    expect(await authExpired.authenticate(expired.secret)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 400));
    // No cache: the next call after the expiry fails.
    expect(await authExpired.authenticate(expired.secret)).toBeUndefined();
    expect(recorded).toEqual([]);
  });

  it('reports a failed write of last use to onError and still authenticates', async () => {
    const { secret, key, counting } = await setup();
    const errors: [unknown, string][] = [];
    const failing = { ...counting, recordApiKeyUse: () => Promise.reject(new Error('disk full')) };
    const auth = createKeyAuthenticator(failing, { onError: (error, keyId) => errors.push([error, keyId]) });
    expect(await auth.authenticate(secret)).toMatchObject({ id: key.id });
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toEqual([new Error('disk full'), key.id]);

    // A store that throws at once, and a reporter that throws, end in no unhandled rejection either.
    const throwing = {
      ...counting,
      recordApiKeyUse: (): Promise<void> => {
        throw new Error('closed');
      },
    };
    const careless = createKeyAuthenticator(throwing, {
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    expect(await careless.authenticate(secret)).toMatchObject({ id: key.id });
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
});
