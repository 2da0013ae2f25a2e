import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestServer, type TestServer } from '../helpers/test-server.js';

describe('API keys over real HTTP: create, list, use, expire, revoke', () => {
  let t: TestServer;
  let admin: ReturnType<typeof client>;
  let tenantId: string;
  let firstKey: string;

  beforeAll(async () => {
    t = await startTestServer({ workers: false });
    admin = client(t.url, t.adminKey);
    const created = await admin('POST', '/v1/tenants', { name: 'acme' });
    expect(created.status).toBe(201);
    tenantId = created.body.tenant.id;
    firstKey = created.body.key.api_key;
    // The fields of the first version stay, beside the new ones.
    expect(created.body.key).toEqual({
      tenant_id: tenantId,
      key_id: created.body.key.id,
      id: expect.stringMatching(/^key_/),
      api_key: expect.stringMatching(/^sk_/),
      prefix: firstKey.slice(0, 11),
      name: null,
      admin: false,
      created_at: expect.any(String),
      expires_at: null,
    });
  });
  afterAll(() => t.close());

  const expectUnauthorized = async (key: string) => {
    const response = await fetch(`${t.url}/v1/collections`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 401, code: 'unauthorized' });
  };

  it('creates a named, expiring key, lists it without its secret, uses it and revokes it', async () => {
    const before = Date.now();
    const created = await admin('POST', `/v1/tenants/${tenantId}/keys`, { name: 'ci pipeline', expires_in: 3600 });
    expect(created.status).toBe(201);
    const secret: string = created.body.api_key;
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^key_/),
      tenant_id: tenantId,
      name: 'ci pipeline',
      admin: false,
    });
    expect(created.body.prefix).toBe(secret.slice(0, 11));
    expect(secret.length).toBeGreaterThan(40);
    const expiresAt = Date.parse(created.body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3_599_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
    const keyId: string = created.body.id;

    const listed = await admin('GET', `/v1/tenants/${tenantId}/keys`);
    expect(listed.status).toBe(200);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(firstKey);
    expect(text).not.toMatch(/api_key|hash/);
    const entry = listed.body.keys.find((k: { id: string }) => k.id === keyId);
    expect(entry).toEqual({
      id: keyId,
      tenant_id: tenantId,
      prefix: secret.slice(0, 11),
      name: 'ci pipeline',
      admin: false,
      created_at: created.body.created_at,
      last_used_at: null,
      expires_at: created.body.expires_at,
      revoked_at: null,
      status: 'active',
    });
    expect(listed.body.keys).toHaveLength(2);

    expect((await client(t.url, secret)('GET', '/v1/collections')).status).toBe(200);

    expect((await admin('DELETE', `/v1/tenants/${tenantId}/keys/${keyId}`)).status).toBe(204);
    await expectUnauthorized(secret);
    // Idempotent: revoking it again answers the same.
    expect((await admin('DELETE', `/v1/tenants/${tenantId}/keys/${keyId}`)).status).toBe(204);
    const after = (await admin('GET', `/v1/tenants/${tenantId}/keys`)).body.keys.find(
      (k: { id: string }) => k.id === keyId,
    );
    expect(after).toMatchObject({ status: 'revoked', revoked_at: expect.any(String) });
    // The tenant's other key is untouched.
    expect((await client(t.url, firstKey)('GET', '/v1/collections')).status).toBe(200);
  });

  it('records when a key was last used, off the request’s path', async () => {
    const created = await admin('POST', `/v1/tenants/${tenantId}/keys`, { name: 'used' });
    const lastUsed = async () =>
      (await admin('GET', `/v1/tenants/${tenantId}/keys`)).body.keys.find(
        (k: { id: string }) => k.id === created.body.id,
      ).last_used_at;
    expect(await lastUsed()).toBeNull();
    const before = Date.now();
    expect((await client(t.url, created.body.api_key)('GET', '/v1/collections')).status).toBe(200);
    await expect.poll(lastUsed).not.toBeNull();
    expect(Date.parse(await lastUsed())).toBeGreaterThanOrEqual(before - 1000);
  });

  it('takes an ISO expiry too, and refuses expiries that make no sense', async () => {
    const at = new Date(Date.now() + 86_400_000);
    const created = await admin('POST', `/v1/tenants/${tenantId}/keys`, {
      expires_at: at.toISOString().replace('Z', '+00:00'),
    });
    expect(created.status).toBe(201);
    expect(created.body.expires_at).toBe(at.toISOString());
    for (const body of [
      { expires_in: 0 },
      { expires_in: 1.5 },
      { expires_at: 'tomorrow' },
      { expires_at: new Date(Date.now() - 1000).toISOString() },
      { expires_in: 60, expires_at: at.toISOString() },
      { name: 'x'.repeat(201) },
    ]) {
      const refused = await admin('POST', `/v1/tenants/${tenantId}/keys`, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.code).toBe('invalid_input');
    }
  });

  it('refuses an expired key on the next request', async () => {
    const created = await admin('POST', `/v1/tenants/${tenantId}/keys`, { name: 'short', expires_in: 1 });
    const secret: string = created.body.api_key;
    expect((await client(t.url, secret)('GET', '/v1/collections')).status).toBe(200);
    await sleep(1100);
    await expectUnauthorized(secret);
    const listed = await admin('GET', `/v1/tenants/${tenantId}/keys`);
    expect(listed.body.keys.find((k: { id: string }) => k.id === created.body.id).status).toBe('expired');
  });

  it("lets a tenant's key list its own keys only, and revoke none", async () => {
    const own = client(t.url, firstKey);
    const listed = await own('GET', `/v1/tenants/${tenantId}/keys`);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(firstKey);

    const defaultTenant = (await t.app.defaultTenant()).id;
    const foreign = await own('GET', `/v1/tenants/${defaultTenant}/keys`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('not_found');
    expect((await own('GET', '/v1/tenants/ten_unknown/keys')).status).toBe(404);

    const adminKeyId: string = (await admin('GET', `/v1/tenants/${defaultTenant}/keys`)).body.keys[0].id;
    const revokeForeign = await own('DELETE', `/v1/tenants/${defaultTenant}/keys/${adminKeyId}`);
    expect(revokeForeign.status).toBe(403);
    expect(revokeForeign.body.code).toBe('forbidden');
    const ownKeyId: string = listed.body.keys[0].id;
    expect((await own('DELETE', `/v1/tenants/${tenantId}/keys/${ownKeyId}`)).status).toBe(403);
    expect((await own('POST', `/v1/tenants/${tenantId}/keys`, {})).status).toBe(403);
    // Still works: nothing was revoked.
    expect((await own('GET', '/v1/collections')).status).toBe(200);
  });

  it('answers 404 for a key that is not the named tenant’s', async () => {
    const defaultTenant = (await t.app.defaultTenant()).id;
    const acmeKeyId: string = (await admin('GET', `/v1/tenants/${tenantId}/keys`)).body.keys[0].id;
    expect((await admin('DELETE', `/v1/tenants/${defaultTenant}/keys/${acmeKeyId}`)).status).toBe(404);
    expect((await admin('DELETE', `/v1/tenants/${tenantId}/keys/key_unknown`)).status).toBe(404);
    expect((await client(t.url, firstKey)('GET', '/v1/collections')).status).toBe(200);
  });

  it('refuses to revoke the last active admin key of the deployment', async () => {
    const defaultTenant = (await t.app.defaultTenant()).id;
    const adminKeyId: string = (await admin('GET', `/v1/tenants/${defaultTenant}/keys`)).body.keys[0].id;
    const refused = await admin('DELETE', `/v1/tenants/${defaultTenant}/keys/${adminKeyId}`);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({
      code: 'forbidden',
      detail: expect.stringMatching(/last active admin key.*--force/),
    });
    expect((await admin('GET', '/v1/collections')).status).toBe(200);

    // With a second admin key, either may go; then the one left is the last again.
    const second = await admin('POST', `/v1/tenants/${defaultTenant}/keys`, { admin: true, name: 'second admin' });
    expect(second.body.admin).toBe(true);
    expect(
      (await client(t.url, second.body.api_key)('DELETE', `/v1/tenants/${defaultTenant}/keys/${second.body.id}`))
        .status,
    ).toBe(204);
    await expectUnauthorized(second.body.api_key);
    expect((await admin('DELETE', `/v1/tenants/${defaultTenant}/keys/${adminKeyId}`)).status).toBe(403);
  });

  it('describes the key routes in the OpenAPI document', async () => {
    const spec = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(spec.paths['/v1/tenants/{tenantId}/keys'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(spec.paths['/v1/tenants/{tenantId}/keys/{keyId}'] ?? {})).toEqual(['delete']);
    expect(JSON.stringify(spec.paths['/v1/tenants/{tenantId}/keys'])).toMatch(/expires_in/);
  });
});
