import { newId } from '../../core/ids.js';
import type { TenantUsage } from '../../core/types.js';
import type { RevokeApiKeyOutcome, TenancyStore } from '../../ports/tenancy-store.js';
import { toApiKey, toTenant, type ApiKeyRow, type TenantRow } from '../store-rows.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { apiKeySql, tenantSql } from './sqlite-sql.js';

type Tenants = Pick<TenancyStore, 'ensureTenant' | 'getTenant' | 'setTenantLimits' | 'getTenantUsage' | 'deleteTenant'>;

function createTenants(
  { db, stmt, now }: SqliteContext,
  deleteCollection: (id: string) => boolean,
): Synchronous<Tenants> {
  return {
    ensureTenant(name) {
      const existing = stmt<[string], TenantRow>(tenantSql.byName).get(name);
      if (existing) {
        return toTenant(existing);
      }
      const id = newId('ten');
      stmt(tenantSql.insert).run(id, name, now());
      return toTenant(stmt<[string], TenantRow>(tenantSql.byName).get(name) as TenantRow);
    },
    getTenant(id) {
      const row = stmt<[string], TenantRow>(tenantSql.byId).get(id);
      return row && toTenant(row);
    },
    setTenantLimits(id, limits) {
      const row = stmt<[Record<string, unknown>], TenantRow>(tenantSql.setLimits).get({ id, ...limits });
      return row && toTenant(row);
    },
    getTenantUsage(id) {
      return stmt<[{ id: string }], TenantUsage>(tenantSql.usage).get({ id })!;
    },
    deleteTenant(id) {
      if (!stmt(tenantSql.byId).get(id)) {
        return false;
      }
      // Collection by collection, each with its own tables, then the tenant's own rows in one step.
      for (const collectionId of stmt<[string], string>(tenantSql.collectionIds).pluck().all(id)) {
        deleteCollection(collectionId);
      }
      db.transaction(() => tenantSql.deleteRows.forEach((sql) => stmt(sql).run(id))).immediate();
      return true;
    },
  };
}

function createApiKeys({ db, stmt, now }: SqliteContext): Synchronous<Omit<TenancyStore, keyof Tenants>> {
  const getApiKeyRow = stmt<[string], ApiKeyRow>(apiKeySql.byId);
  const revokeApiKey = db.transaction((id: string, keepAnAdmin: boolean): RevokeApiKeyOutcome | undefined => {
    const row = getApiKeyRow.get(id);
    if (!row) {
      return undefined;
    }
    if (row.revoked_at !== null) {
      return { kind: 'already_revoked', key: toApiKey(row) };
    }
    const at = now();
    if (keepAnAdmin && row.admin === 1 && (row.expires_at === null || row.expires_at > at)) {
      const others = stmt<[string, string], number>(apiKeySql.otherActiveAdmins).pluck().get(id, at);
      if (others === 0) {
        return { kind: 'last_admin', key: toApiKey(row) };
      }
    }
    const revoked = stmt<[string, string], ApiKeyRow>(apiKeySql.revoke).get(at, id);
    return { kind: 'revoked', key: toApiKey(revoked as ApiKeyRow) };
  });

  return {
    createApiKey(input) {
      const row = stmt<[Record<string, unknown>], ApiKeyRow>(apiKeySql.insert).get({
        id: newId('key'),
        tenantId: input.tenantId,
        keyHash: input.keyHash,
        admin: input.admin ? 1 : 0,
        prefix: input.prefix,
        name: input.name ?? null,
        now: now(),
        // Stored as toISOString() text, so that expiry compares as text with the same shape.
        expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
      });
      return toApiKey(row as ApiKeyRow);
    },
    findApiKey(keyHash) {
      const row = stmt<[string, string], ApiKeyRow>(apiKeySql.findActive).get(keyHash, now());
      return row && toApiKey(row);
    },
    getApiKey(id) {
      const row = getApiKeyRow.get(id);
      return row && toApiKey(row);
    },
    listApiKeys(tenantId) {
      const rows =
        tenantId === undefined
          ? stmt<[], ApiKeyRow>(apiKeySql.all).all()
          : stmt<[string], ApiKeyRow>(apiKeySql.ofTenant).all(tenantId);
      return rows.map(toApiKey);
    },
    revokeApiKey(id, options = {}) {
      return revokeApiKey.immediate(id, options.keepAnAdmin === true);
    },
    recordApiKeyUse(id) {
      const at = now();
      stmt(apiKeySql.recordUse).run(at, id, at);
    },
    countApiKeys() {
      return stmt(apiKeySql.count).pluck().get() as number;
    },
  };
}

/** Tenants, their limits and usage, and their API keys. */
export function createSqliteTenancy(
  context: SqliteContext,
  deleteCollection: (id: string) => boolean,
): Synchronous<TenancyStore> {
  return { ...createTenants(context, deleteCollection), ...createApiKeys(context) };
}
