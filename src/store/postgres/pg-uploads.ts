import { newId } from '../../core/ids.js';
import type { DocumentLedger, RecordedUpload, UploadOutcome } from '../../ports/document-ledger.js';
import type { IdempotentResponse } from '../../ports/idempotency-store.js';
import { toBatch, type BatchRow } from '../store-rows.js';
import type { PgContext } from './pg-context.js';
import { registerWith, rejectWith } from './pg-ledger.js';
import { batchSql, idempotencySql } from './pg-sql.js';

/** Thrown to roll back the upload's transaction when its Idempotency-Key is taken. */
class EarlierRequest extends Error {
  constructor(readonly earlier: IdempotentResponse) {
    super('an earlier request holds this Idempotency-Key');
  }
}

/** An upload's batch, documents and Idempotency-Key, recorded in one transaction. */
export function createPgUploads({ transaction }: PgContext): Pick<DocumentLedger, 'recordUpload'> {
  return {
    async recordUpload(input) {
      try {
        return await transaction(async (client): Promise<RecordedUpload> => {
          const { rows } = await client.query<BatchRow>(batchSql.insert, [
            newId('bat'),
            input.collectionId,
            input.label,
          ]);
          const batch = toBatch(rows[0] as BatchRow);
          const { idempotency } = input;
          // A request with the same key in flight holds its row until it ends; this waits for it.
          if (
            idempotency &&
            (
              await client.query(idempotencySql.reserve, [
                idempotency.tenantId,
                idempotency.key,
                idempotency.fingerprint,
                JSON.stringify({ batch_id: batch.id }),
              ])
            ).rowCount === 0
          ) {
            const earlier = await client.query<IdempotentResponse>(idempotencySql.get, [
              idempotency.tenantId,
              idempotency.key,
            ]);
            throw new EarlierRequest(earlier.rows[0] as IdempotentResponse);
          }
          const base = { collectionId: input.collectionId, batchId: batch.id, priority: input.priority ?? 0 };
          const outcomes: UploadOutcome[] = [];
          for (const file of input.files) {
            outcomes.push(
              'refused' in file
                ? {
                    kind: 'rejected',
                    document: await rejectWith(client, {
                      ...base,
                      source: file.source,
                      sizeBytes: file.sizeBytes,
                      ...file.refused,
                      ...(file.metadata ? { metadata: file.metadata } : {}),
                    }),
                  }
                : await registerWith(client, {
                    ...base,
                    source: file.source,
                    sizeBytes: file.sizeBytes,
                    sha256: file.sha256,
                    ...(file.metadata ? { metadata: file.metadata } : {}),
                  }),
            );
          }
          return { kind: 'recorded', batch, outcomes };
        });
      } catch (error) {
        if (error instanceof EarlierRequest) {
          return { kind: 'exists', earlier: error.earlier };
        }
        throw error;
      }
    },
  };
}
