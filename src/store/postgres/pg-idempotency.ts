import type { IdempotencyStore, IdempotentResponse } from '../../ports/idempotency-store.js';
import { changed, type PgContext } from './pg-context.js';
import { idempotencySql } from './pg-sql.js';

/** The first answer given to each (tenant, idempotency key), to give again to a repeated request. */
export function createPgIdempotency({ pool, one }: PgContext): IdempotencyStore {
  return {
    getIdempotentResponse(tenantId, key) {
      return one<IdempotentResponse>(idempotencySql.get, [tenantId, key]);
    },
    async putIdempotentResponse(tenantId, key, fingerprint, status, body) {
      return changed(await pool.query(idempotencySql.put, [tenantId, key, fingerprint, status, body]));
    },
  };
}
