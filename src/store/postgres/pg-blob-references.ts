import { newId } from '../../core/ids.js';
import type { BlobReferences } from '../../ports/blob-references.js';
import type { PgContext } from './pg-context.js';
import { blobSql } from './pg-sql.js';

/** Which raw files documents and uploads in progress still need. */
export function createPgBlobReferences({ pool, query }: PgContext): BlobReferences {
  return {
    async holdBlobs(keys, ttlMs, holder) {
      const holdId = `${holder}/${newId('hold')}`;
      await pool.query(blobSql.hold, [holdId, [...new Set(keys)], ttlMs]);
      return holdId;
    },
    async releaseBlobHold(holdId) {
      await pool.query(blobSql.release, [holdId]);
    },
    async blobHolds() {
      return (await query<{ hold_id: string }>(blobSql.holds)).map((r) => r.hold_id);
    },
    async unreferencedBlobs(keys) {
      return keys.length === 0 ? [] : (await query<{ key: string }>(blobSql.unreferenced, [keys])).map((r) => r.key);
    },
    async blobKeysOf(scope) {
      const [sql, id] =
        'documentId' in scope
          ? [blobSql.ofDocument, scope.documentId]
          : 'collectionId' in scope
            ? [blobSql.ofCollection, scope.collectionId]
            : [blobSql.ofTenant, scope.tenantId];
      return (await query<{ key: string }>(sql, [id])).map((r) => r.key);
    },
  };
}
