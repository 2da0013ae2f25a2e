import type { ApiKeyRecord, Tenant, TenantLimits, TenantUsage } from '../core/types.js';

export interface CreateApiKeyInput {
  tenantId: string;
  /** SHA-256 of the secret (`hashApiKey`). */
  keyHash: string;
  /** The first characters of the secret after `sk_`, shown to tell keys apart. */
  prefix: string;
  admin: boolean;
  name?: string | null;
  /** ISO time from which the key no longer authenticates; absent or null: never. */
  expiresAt?: string | null;
}

/**
 * What revoking a key did:
 * - `revoked`: this call revoked it;
 * - `already_revoked`: it was revoked before (`key.revokedAt` says when); nothing changed;
 * - `last_admin`: refused, it is the last active admin key of the deployment; nothing changed.
 */
export type RevokeApiKeyOutcome =
  | { kind: 'revoked'; key: ApiKeyRecord }
  | { kind: 'already_revoked'; key: ApiKeyRecord }
  | { kind: 'last_admin'; key: ApiKeyRecord };

/** Tenants, their limits and usage, and their API keys. */
export interface TenancyStore {
  /** Creates the tenant or returns it. */
  ensureTenant(name: string): Promise<Tenant>;
  getTenant(id: string): Promise<Tenant | undefined>;
  /** Replaces a tenant's own limits (null: the deployment's default). */
  setTenantLimits(id: string, limits: TenantLimits): Promise<Tenant | undefined>;
  /** What the tenant holds now, for its quotas. */
  getTenantUsage(id: string): Promise<TenantUsage>;
  /**
   * Removes the tenant and everything of it: its collections (as `deleteCollection` does), API keys
   * and idempotency records. Whether there was such a tenant.
   */
  deleteTenant(id: string): Promise<boolean>;
  /**
   * Stores a key by its hash and its non-secret prefix.
   * @remarks The secret itself must never reach the store.
   */
  createApiKey(input: CreateApiKeyInput): Promise<ApiKeyRecord>;
  /**
   * The key with this hash, if it may authenticate now.
   * @remarks Must leave out revoked keys and keys whose expiry has passed, compared with the clock at
   * the time of the call, and must not cache: a revoked key fails on the very next request, on every
   * process that shares the store.
   */
  findApiKey(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** Any key by id, whatever its state. */
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** A tenant's keys, or every key when `tenantId` is omitted, oldest first; revoked and expired ones included. */
  listApiKeys(tenantId?: string): Promise<ApiKeyRecord[]>;
  /**
   * Revokes a key; undefined if there is no key with that id.
   * @remarks Must be idempotent: revoking a revoked key changes nothing and answers `already_revoked`
   * with the first revocation time. With `keepAnAdmin`, the check that another active admin key exists
   * and the revocation must be one atomic step, so that two concurrent revocations cannot remove the
   * last two admin keys.
   */
  revokeApiKey(id: string, options?: { keepAnAdmin?: boolean }): Promise<RevokeApiKeyOutcome | undefined>;
  /**
   * Records that the key was used now.
   * @remarks Must never move `lastUsedAt` backwards (uses recorded by several processes may land out of order).
   */
  recordApiKeyUse(id: string): Promise<void>;
  /** All keys ever made, whatever their state (zero means a fresh deployment). */
  countApiKeys(): Promise<number>;
}
