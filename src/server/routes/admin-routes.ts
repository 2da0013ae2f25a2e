import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import type { ApiKeyRecord, Tenant } from '../../core/types.js';
import { apiKeyPrefix, apiKeyStatus, mintApiKey } from '../api-keys.js';
import type { RouteContext, Server } from '../route-context.js';

/** Ten years: an expiry further out is no expiry, and keeps dates within what every clock and column holds. */
const maxExpiresInSeconds = 10 * 365 * 86_400;

const createdKeyView = z.object({
  id: z.string(),
  key_id: z.string().describe('The same as `id`; kept for clients of the first version'),
  tenant_id: z.string(),
  api_key: z.string().describe('The secret, shown in this answer only: Sluice keeps its hash, never the secret'),
  prefix: z.string().describe('The start of the secret, to tell keys apart; not a secret'),
  name: z.string().nullable(),
  admin: z.boolean(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
});
const keyView = z.object({
  id: z.string(),
  tenant_id: z.string(),
  prefix: z.string().nullable().describe('The start of the secret, to tell keys apart; null for keys made before prefixes were kept'),
  name: z.string().nullable(),
  admin: z.boolean(),
  created_at: z.string(),
  last_used_at: z.string().nullable().describe('Recorded at most once a minute per API node, so it may lag by that much'),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});
const createKeyBody = z
  .object({
    admin: z.boolean().default(false),
    name: z.string().min(1).max(200).optional().describe('A label to tell keys apart'),
    expires_in: z
      .number()
      .int()
      .min(1)
      .max(maxExpiresInSeconds)
      .optional()
      .describe('Seconds from now until the key stops working; or give `expires_at`, not both. Neither: the key never expires'),
    expires_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the key stops working (ISO 8601, in the future); or give `expires_in`, not both'),
  })
  .default({ admin: false });
const limit = z.number().int().min(0).nullable();
const limitsView = z.object({ max_in_flight: limit, max_documents: limit, max_bytes: limit, max_chunks: limit });
const tenantView = z.object({
  id: z.string(),
  name: z.string(),
  /** The tenant's own limits; null takes the deployment's default. */
  limits: limitsView,
  usage: z.object({ documents: z.number(), bytes: z.number(), chunks: z.number() }),
});

/** When a new key expires, from either form the client may give; undefined: never. */
function resolveExpiry(body: z.infer<typeof createKeyBody>, now: Date): string | undefined {
  if (body.expires_in !== undefined && body.expires_at !== undefined) {
    throw new SluiceError('invalid_input', 'Give `expires_in` or `expires_at`, not both');
  }
  if (body.expires_in !== undefined) {
    return new Date(now.getTime() + body.expires_in * 1000).toISOString();
  }
  if (body.expires_at !== undefined) {
    const at = new Date(body.expires_at);
    if (at.getTime() <= now.getTime()) {
      throw new SluiceError('invalid_input', '`expires_at` must be in the future');
    }
    if (at.getTime() > now.getTime() + maxExpiresInSeconds * 1000) {
      throw new SluiceError('invalid_input', '`expires_at` must be within ten years');
    }
    return at.toISOString();
  }
  return undefined;
}

function createdKeyAnswer(record: ApiKeyRecord, secret: string): z.infer<typeof createdKeyView> {
  return {
    id: record.id,
    key_id: record.id,
    tenant_id: record.tenantId,
    api_key: secret,
    prefix: `sk_${apiKeyPrefix(secret)}`,
    name: record.name,
    admin: record.admin,
    created_at: record.createdAt,
    expires_at: record.expiresAt,
  };
}

function keyAnswer(record: ApiKeyRecord, now: Date): z.infer<typeof keyView> {
  return {
    id: record.id,
    tenant_id: record.tenantId,
    prefix: record.prefix === null ? null : `sk_${record.prefix}`,
    name: record.name,
    admin: record.admin,
    created_at: record.createdAt,
    last_used_at: record.lastUsedAt,
    expires_at: record.expiresAt,
    revoked_at: record.revokedAt,
    status: apiKeyStatus(record, now),
  };
}

/**
 * Tenants and keys; admin keys only, except that a tenant's key may read its tenant and list its keys.
 * A new key's secret is shown once, in the answer that creates it.
 */
export function registerAdminRoutes(server: Server, { app }: RouteContext): void {
  const tenantAnswer = async (tenant: Tenant): Promise<z.infer<typeof tenantView>> => ({
    id: tenant.id,
    name: tenant.name,
    limits: {
      max_in_flight: tenant.limits.maxInFlight,
      max_documents: tenant.limits.maxDocuments,
      max_bytes: tenant.limits.maxBytes,
      max_chunks: tenant.limits.maxChunks,
    },
    usage: await app.store.getTenantUsage(tenant.id),
  });

  server.get(
    '/v1/tenants/:tenantId',
    {
      schema: {
        tags: ['admin'],
        summary: "A tenant's limits and what it holds; its own keys or an admin key",
        params: z.object({ tenantId: z.string() }),
        response: { 200: tenantView },
      },
    },
    async (request) => {
      const tenant = await app.store.getTenant(request.params.tenantId);
      if (!tenant || (!request.auth.admin && request.auth.tenantId !== tenant.id)) {
        throw new SluiceError('not_found', `No tenant ${request.params.tenantId}`);
      }
      return tenantAnswer(tenant);
    },
  );

  server.patch(
    '/v1/tenants/:tenantId/limits',
    {
      schema: {
        tags: ['admin'],
        summary: "Sets a tenant's share of the workers and its quotas (null: the deployment's default); admin keys only",
        params: z.object({ tenantId: z.string() }),
        body: limitsView.partial(),
        response: { 200: tenantView },
      },
    },
    async (request) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may change limits');
      }
      const tenant = await app.store.getTenant(request.params.tenantId);
      if (!tenant) {
        throw new SluiceError('not_found', `No tenant ${request.params.tenantId}`);
      }
      const body = request.body;
      const updated = await app.store.setTenantLimits(tenant.id, {
        maxInFlight: body.max_in_flight !== undefined ? body.max_in_flight : tenant.limits.maxInFlight,
        maxDocuments: body.max_documents !== undefined ? body.max_documents : tenant.limits.maxDocuments,
        maxBytes: body.max_bytes !== undefined ? body.max_bytes : tenant.limits.maxBytes,
        maxChunks: body.max_chunks !== undefined ? body.max_chunks : tenant.limits.maxChunks,
      });
      // A larger share may let waiting documents in now.
      await app.dispatcher.tenant(tenant.id);
      return tenantAnswer(updated ?? tenant);
    },
  );

  const createKey = async (
    tenant: Tenant,
    options: { admin: boolean; name?: string | undefined; expiresAt?: string | undefined },
  ): Promise<z.infer<typeof createdKeyView>> => {
    const minted = mintApiKey();
    const record = await app.store.createApiKey({
      tenantId: tenant.id,
      keyHash: minted.keyHash,
      prefix: minted.prefix,
      admin: options.admin,
      name: options.name ?? null,
      expiresAt: options.expiresAt ?? null,
    });
    return createdKeyAnswer(record, minted.secret);
  };

  server.post(
    '/v1/tenants',
    {
      schema: {
        tags: ['admin'],
        summary: 'Creates a tenant (or finds it by name) and a first, non-admin key for it; admin keys only',
        body: z.object({ name: z.string().min(1).max(200) }),
        response: { 201: z.object({ tenant: z.object({ id: z.string(), name: z.string() }), key: createdKeyView }) },
      },
    },
    async (request, reply) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may create tenants');
      }
      const tenant = await app.store.ensureTenant(request.body.name);
      const key = await createKey(tenant, { admin: false });
      return reply.status(201).send({ tenant: { id: tenant.id, name: tenant.name }, key });
    },
  );

  server.post(
    '/v1/tenants/:tenantId/keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'Creates a key for a tenant, optionally named and expiring; its secret is in this answer only; admin keys only',
        params: z.object({ tenantId: z.string() }),
        body: createKeyBody,
        response: { 201: createdKeyView },
      },
    },
    async (request, reply) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may create keys');
      }
      const tenant = await app.store.getTenant(request.params.tenantId);
      if (!tenant) {
        throw new SluiceError('not_found', `No tenant ${request.params.tenantId}`);
      }
      const { admin, name } = request.body;
      const key = await createKey(tenant, { admin, name, expiresAt: resolveExpiry(request.body, new Date()) });
      return reply.status(201).send(key);
    },
  );

  server.get(
    '/v1/tenants/:tenantId/keys',
    {
      schema: {
        tags: ['admin'],
        summary: "A tenant's keys, revoked and expired ones included, never their secrets; its own keys or an admin key",
        params: z.object({ tenantId: z.string() }),
        response: { 200: z.object({ keys: z.array(keyView) }) },
      },
    },
    async (request) => {
      const tenant = await app.store.getTenant(request.params.tenantId);
      if (!tenant || (!request.auth.admin && request.auth.tenantId !== tenant.id)) {
        throw new SluiceError('not_found', `No tenant ${request.params.tenantId}`);
      }
      const now = new Date();
      return { keys: (await app.store.listApiKeys(tenant.id)).map((key) => keyAnswer(key, now)) };
    },
  );

  server.delete(
    '/v1/tenants/:tenantId/keys/:keyId',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Revokes a key: it fails from the next request on, on every API node. Revoking a revoked key also answers 204. ' +
          'The last active admin key of the deployment cannot be revoked here (403); admin keys only',
        params: z.object({ tenantId: z.string(), keyId: z.string() }),
      },
    },
    async (request, reply) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may revoke keys');
      }
      const { tenantId, keyId } = request.params;
      const key = await app.store.getApiKey(keyId);
      if (key?.tenantId !== tenantId) {
        throw new SluiceError('not_found', `No key ${keyId} in tenant ${tenantId}`);
      }
      const outcome = await app.store.revokeApiKey(keyId, { keepAnAdmin: true });
      if (!outcome) {
        throw new SluiceError('not_found', `No key ${keyId} in tenant ${tenantId}`);
      }
      if (outcome.kind === 'last_admin') {
        // Over the API this would lock every operator out; on the server's machine the CLI can still do it.
        throw new SluiceError(
          'forbidden',
          `${keyId} is the last active admin key of this deployment: create another admin key first, ` +
            `or revoke it on the server's machine with \`sluice keys revoke ${keyId} --force\``,
        );
      }
      return reply.status(204).send();
    },
  );
}
