import type { CollectionStore } from '../../ports/collection-store.js';
import type { DocumentLedger, RecordUploadInput, RecordedUpload, UploadOutcome } from '../../ports/document-ledger.js';
import type { IdempotentResponse } from '../../ports/idempotency-store.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { createRegistration } from './sqlite-ledger.js';
import { idempotencySql } from './sqlite-sql.js';

/** What recording an upload is made of: a batch, and each file recorded as the ledger records one. */
export interface UploadParts {
  createBatch: Synchronous<CollectionStore>['createBatch'];
  recordRejected: Synchronous<DocumentLedger>['recordRejected'];
}

/** An upload's batch, documents and Idempotency-Key, recorded in one transaction. */
export function createSqliteUploads(
  context: SqliteContext,
  parts: UploadParts,
): Pick<Synchronous<DocumentLedger>, 'recordUpload'> {
  const { db, stmt, now } = context;
  const register = createRegistration(context);
  const recordUpload = db.transaction((input: RecordUploadInput): RecordedUpload => {
    const { idempotency } = input;
    const batch = parts.createBatch(input.collectionId, input.label);
    if (idempotency) {
      const body = JSON.stringify({ batch_id: batch.id });
      const { changes } = stmt(idempotencySql.reserve).run(
        idempotency.tenantId,
        idempotency.key,
        idempotency.fingerprint,
        body,
        now(),
      );
      if (changes === 0) {
        // Another request with this key was recorded first: this one records nothing.
        const earlier = stmt<[string, string], IdempotentResponse>(idempotencySql.get).get(
          idempotency.tenantId,
          idempotency.key,
        ) as IdempotentResponse;
        throw new EarlierRequest(earlier);
      }
    }
    const base = { collectionId: input.collectionId, batchId: batch.id, priority: input.priority ?? 0 };
    const outcomes = input.files.map((file): UploadOutcome =>
      'refused' in file
        ? {
            kind: 'rejected',
            document: parts.recordRejected({
              ...base,
              source: file.source,
              sizeBytes: file.sizeBytes,
              ...file.refused,
              ...(file.metadata ? { metadata: file.metadata } : {}),
            }),
          }
        : register({
            ...base,
            source: file.source,
            sizeBytes: file.sizeBytes,
            sha256: file.sha256,
            ...(file.metadata ? { metadata: file.metadata } : {}),
          }),
    );
    return { kind: 'recorded', batch, outcomes };
  });
  return {
    recordUpload(input) {
      try {
        return recordUpload.immediate(input);
      } catch (error) {
        if (error instanceof EarlierRequest) {
          return { kind: 'exists', earlier: error.earlier };
        }
        throw error;
      }
    },
  };
}

/** Thrown to roll back the upload's transaction when its Idempotency-Key is taken. */
class EarlierRequest extends Error {
  constructor(readonly earlier: IdempotentResponse) {
    super('an earlier request holds this Idempotency-Key');
  }
}
