import { newId } from '../../core/ids.js';
import type { RevokeApiKeyOutcome, TenancyStore } from '../../ports/tenancy-store.js';
import { toApiKey, toTenant, type ApiKeyRow, type TenantRow } from '../store-rows.js';
import type { PgContext } from './pg-context.js';
import { lockKeys } from './pg-migrations.js';
import { apiKeySql, lockSql, tenantSql } from './pg-sql.js';

/** Tenants, their limits and usage, and their API keys. */
export function createPgTenancy(
  { pool, query, one, count, transaction }: PgContext,
  deleteCollection: (id: string) => Promise<boolean>,
): TenancyStore {
  return {
    async ensureTenant(name) {
      await pool.query(tenantSql.insert, [newId('ten'), name]);
      return toTenant((await one<TenantRow>(tenantSql.byName, [name])) as TenantRow);
    },
    async getTenant(id) {
      const row = await one<TenantRow>(tenantSql.byId, [id]);
      return row && toTenant(row);
    },
    async setTenantLimits(id, limits) {
      const row = await one<TenantRow>(tenantSql.setLimits, [
        id,
        limits.maxInFlight,
        limits.maxDocuments,
        limits.maxBytes,
        limits.maxChunks,
      ]);
      return row && toTenant(row);
    },
    async getTenantUsage(id) {
      const held = (await one<{ documents: number; bytes: number }>(tenantSql.held, [id])) as {
        documents: number;
        bytes: number;
      };
      const chunks = await count(tenantSql.chunks, [id]);
      return { ...held, chunks };
    },
    async deleteTenant(id) {
      if (!(await one(tenantSql.byId, [id]))) {
        return false;
      }
      // Collection by collection, each with its vector index, then the tenant's own rows in one step.
      for (const { id: collectionId } of await query<{ id: string }>(tenantSql.collectionIds, [id])) {
        await deleteCollection(collectionId);
      }
      await transaction(async (client) => {
        for (const sql of tenantSql.deleteRows) {
          await client.query(sql, [id]);
        }
      });
      return true;
    },

    async createApiKey(input) {
      const row = await one<ApiKeyRow>(apiKeySql.insert, [
        newId('key'),
        input.tenantId,
        input.keyHash,
        input.admin,
        input.prefix,
        input.name ?? null,
        input.expiresAt ?? null,
      ]);
      return toApiKey(row as ApiKeyRow);
    },
    async findApiKey(keyHash) {
      const row = await one<ApiKeyRow>(apiKeySql.activeByHash, [keyHash]);
      return row && toApiKey(row);
    },
    async getApiKey(id) {
      const row = await one<ApiKeyRow>(apiKeySql.byId, [id]);
      return row && toApiKey(row);
    },
    async listApiKeys(tenantId) {
      const rows =
        tenantId === undefined
          ? await query<ApiKeyRow>(apiKeySql.all)
          : await query<ApiKeyRow>(apiKeySql.ofTenant, [tenantId]);
      return rows.map(toApiKey);
    },
    revokeApiKey(id, options = {}) {
      return transaction(async (client): Promise<RevokeApiKeyOutcome | undefined> => {
        // Revocations go one at a time, so that two of them cannot each see the other's key as the
        // admin key that remains. Each statement below then reads what the one before committed.
        await client.query(lockSql.key, [lockKeys.apiKeys]);
        const row = (await client.query<ApiKeyRow & { active: boolean }>(apiKeySql.byIdWithActive, [id])).rows[0];
        if (!row) {
          return undefined;
        }
        if (row.revoked_at !== null) {
          return { kind: 'already_revoked', key: toApiKey(row) };
        }
        if (options.keepAnAdmin === true && row.admin && row.active) {
          const others = await client.query<{ n: number }>(apiKeySql.otherActiveAdmins, [id]);
          if ((others.rows[0]?.n ?? 0) === 0) {
            return { kind: 'last_admin', key: toApiKey(row) };
          }
        }
        const revoked = await client.query<ApiKeyRow>(apiKeySql.revoke, [id]);
        return { kind: 'revoked', key: toApiKey(revoked.rows[0] as ApiKeyRow) };
      });
    },
    async recordApiKeyUse(id) {
      await pool.query(apiKeySql.recordUse, [id]);
    },
    countApiKeys: () => count(apiKeySql.count),
  };
}
