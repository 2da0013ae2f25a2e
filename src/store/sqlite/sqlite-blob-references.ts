import { newId } from '../../core/ids.js';
import type { BlobReferences } from '../../ports/blob-references.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { blobSql } from './sqlite-sql.js';

/** Which raw files documents and uploads in progress still need. */
export function createSqliteBlobReferences({ db, stmt, now }: SqliteContext): Synchronous<BlobReferences> {
  const hold = db.transaction((holdId: string, keys: readonly string[], expiresAt: string) => {
    for (const key of new Set(keys)) {
      stmt(blobSql.hold).run(holdId, key, expiresAt);
    }
  });
  return {
    holdBlobs(keys, ttlMs, holder) {
      const holdId = `${holder}/${newId('hold')}`;
      hold.immediate(holdId, keys, new Date(Date.now() + ttlMs).toISOString());
      return holdId;
    },
    releaseBlobHold(holdId) {
      stmt(blobSql.release).run(holdId);
    },
    blobHolds() {
      return stmt<[string], string>(blobSql.holds).pluck().all(now());
    },
    unreferencedBlobs(keys) {
      return keys.length === 0
        ? []
        : stmt<[string, string], string>(blobSql.unreferenced).pluck().all(JSON.stringify(keys), now());
    },
    blobKeysOf(scope) {
      if ('documentId' in scope) {
        return stmt<[string, string], string>(blobSql.ofDocument).pluck().all(scope.documentId, scope.documentId);
      }
      return 'collectionId' in scope
        ? stmt<[string], string>(blobSql.ofCollection).pluck().all(scope.collectionId)
        : stmt<[string], string>(blobSql.ofTenant).pluck().all(scope.tenantId);
    },
  };
}
