import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import type { ApiKeyRecord, Tenant } from '../../core/types.js';
import { apiKeyPrefix, apiKeyStatus, mintApiKey } from '../api-keys.js';
import type { TenancyStore } from '../../ports/tenancy-store.js';

// What the API shows of keys, and how it makes them.

/** Ten years: an expiry further out is no expiry, and keeps dates within what every clock and column holds. */
const maxExpiresInSeconds = 10 * 365 * 86_400;

export const createdKeyView = z.object({
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
export const keyView = z.object({
  id: z.string(),
  tenant_id: z.string(),
  prefix: z
    .string()
    .nullable()
    .describe('The start of the secret, to tell keys apart; null for keys made before prefixes were kept'),
  name: z.string().nullable(),
  admin: z.boolean(),
  created_at: z.string(),
  last_used_at: z
    .string()
    .nullable()
    .describe('Recorded at most once a minute per API node, so it may lag by that much'),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});
export const createKeyBody = z
  .object({
    admin: z.boolean().default(false),
    name: z.string().min(1).max(200).optional().describe('A label to tell keys apart'),
    expires_in: z
      .number()
      .int()
      .min(1)
      .max(maxExpiresInSeconds)
      .optional()
      .describe(
        'Seconds from now until the key stops working; or give `expires_at`, not both. Neither: the key never expires',
      ),
    expires_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the key stops working (ISO 8601, in the future); or give `expires_in`, not both'),
  })
  .default({ admin: false });
/** When a new key expires, from either form the client may give; undefined: never. */
export function resolveExpiry(body: z.infer<typeof createKeyBody>, now: Date): string | undefined {
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

export function keyAnswer(record: ApiKeyRecord, now: Date): z.infer<typeof keyView> {
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

/** Makes a key for the tenant; the answer holds its secret, which is never stored. */
export async function issueKey(
  store: Pick<TenancyStore, 'createApiKey'>,
  tenant: Tenant,
  options: { admin: boolean; name?: string | undefined; expiresAt?: string | undefined },
): Promise<z.infer<typeof createdKeyView>> {
  const minted = mintApiKey();
  const record = await store.createApiKey({
    tenantId: tenant.id,
    keyHash: minted.keyHash,
    prefix: minted.prefix,
    admin: options.admin,
    name: options.name ?? null,
    expiresAt: options.expiresAt ?? null,
  });
  return createdKeyAnswer(record, minted.secret);
}
