import type { IdempotencyStore, IdempotentResponse } from '../../ports/idempotency-store.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { idempotencySql } from './sqlite-sql.js';

/** Responses recorded by a tenant's idempotency key, so that a retried request is answered as the first was. */
export function createSqliteIdempotency({ stmt, now }: SqliteContext): Synchronous<IdempotencyStore> {
  return {
    getIdempotentResponse(tenantId, key) {
      return stmt<[string, string], IdempotentResponse>(idempotencySql.get).get(tenantId, key);
    },
    putIdempotentResponse(tenantId, key, fingerprint, status, body) {
      const { changes } = stmt(idempotencySql.put).run(tenantId, key, fingerprint, status, body, now());
      return changes === 1;
    },
  };
}
