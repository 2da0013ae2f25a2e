import type { ErrorCode } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { DocumentState } from '../../core/states.js';
import type { DocumentRecord } from '../../core/types.js';
import type {
  DocumentFilter,
  DocumentLedger,
  RegisterDocumentInput,
  RegisterOutcome,
  RejectedDocumentInput,
} from '../../ports/document-ledger.js';
import { metadataFields, metadataText, type DocumentMetadata } from '../../core/document-metadata.js';
import {
  documentStatsSql,
  metadataTargets,
  planRegistration,
  rejectedValues,
  type RegistrationPlan,
} from '../document-sql.js';
import { toDocument, type DocumentRow } from '../store-rows.js';
import { changed, type PgContext, type PgQueryable } from './pg-context.js';
import type { PgDispatch } from './pg-dispatch.js';
import { copySql, ledgerSql, lockSql } from './pg-sql.js';

/** The ledger less dispatch: what was received, its dedup, and what each document holds now. */
export type PgLedger = Omit<DocumentLedger, keyof PgDispatch | 'recordUpload'>;

/** The order in which `listDocuments` adds its filters, each as one condition. */
const filterKeys = ['collectionId', 'batchId', 'documentId', 'state', 'tenantId', 'after'] as const;

/**
 * Records a file in a batch, deduplicated by content (`planRegistration` decides), within the
 * transaction `client` is in.
 */
export async function registerWith(client: PgQueryable, input: RegisterDocumentInput): Promise<RegisterOutcome> {
  const { plan, outcome } = await record(client, input);
  if (input.metadata === undefined) {
    return outcome;
  }
  for (const id of metadataTargets(plan, outcome.document.id, input.source)) {
    await writeMetadata(client, id, input.collectionId, input.metadata);
  }
  return { ...outcome, document: { ...outcome.document, metadata: input.metadata } };
}

/** Replaces a document's metadata and its indexed fields. */
async function writeMetadata(
  client: PgQueryable,
  id: string,
  collectionId: string,
  metadata: DocumentMetadata,
): Promise<void> {
  const fields = metadataFields(metadata);
  await client.query(ledgerSql.setMetadata, [id, metadataText(metadata)]);
  await client.query(ledgerSql.replaceFields, [
    id,
    collectionId,
    fields.map((f) => f.key),
    fields.map((f) => f.text),
    fields.map((f) => f.num),
  ]);
}

async function record(
  client: PgQueryable,
  input: RegisterDocumentInput,
): Promise<{ plan: RegistrationPlan; outcome: RegisterOutcome }> {
  const priority = input.priority ?? 0;
  // Registrations into one collection are serialised, so two API nodes receiving the same bytes
  // at once still end with one document and one duplicate.
  await client.query(lockSql.text, [input.collectionId]);
  const insert = async (state: 'queued' | 'skipped', duplicateOf: string | null): Promise<DocumentRow> =>
    (
      await client.query<DocumentRow>(ledgerSql.insert, [
        newId('doc'),
        input.collectionId,
        input.batchId,
        input.source,
        input.sha256,
        input.sizeBytes,
        state,
        priority,
        duplicateOf,
      ])
    ).rows[0] as DocumentRow;
  const twin = (await client.query<DocumentRow>(ledgerSql.twin, [input.collectionId, input.sha256])).rows[0];
  // The source's document matters only when the bytes are new.
  const previous = twin
    ? undefined
    : (await client.query<DocumentRow>(ledgerSql.ofSource, [input.collectionId, input.source])).rows[0];
  const plan = planRegistration(input.source, twin, previous);
  const outcome = (o: RegisterOutcome) => ({ plan, outcome: o });
  switch (plan.kind) {
    case 'pending':
      return outcome({ kind: 'pending', document: toDocument(plan.twin) });
    case 'duplicate':
      return outcome({ kind: 'skipped', document: toDocument(await insert('skipped', plan.of.id)) });
    case 'copy':
      return outcome({ kind: 'queued', document: toDocument(await insert('queued', plan.of.id)) });
    case 'new_version': {
      // A new version of a known source takes over its document: the old chunks stay searchable
      // until the new ones are published in one transaction, and any attempt still running is fenced out.
      // Copies that waited for its old bytes go on without it.
      const promoted = (await client.query<DocumentRow>(copySql.promote, [plan.previous.id])).rows[0];
      if (promoted) {
        await client.query(copySql.repoint, [plan.previous.id, promoted.id]);
      }
      const updated = await client.query<DocumentRow>(ledgerSql.newVersion, [
        plan.previous.id,
        input.batchId,
        input.sha256,
        input.sizeBytes,
        priority,
      ]);
      return outcome({
        kind: 'queued',
        document: toDocument(updated.rows[0] as DocumentRow),
        replacedSha256: plan.previous.sha256,
      });
    }
    case 'new':
      return outcome({ kind: 'queued', document: toDocument(await insert('queued', null)) });
  }
}

/** Records a file refused before it was stored as a `failed` document of its batch. */
export async function rejectWith(client: PgQueryable, input: RejectedDocumentInput): Promise<DocumentRecord> {
  const { rows } = await client.query<DocumentRow>(ledgerSql.insertRejected, [newId('doc'), ...rejectedValues(input)]);
  const row = rows[0] as DocumentRow;
  if (input.metadata === undefined) {
    return toDocument(row);
  }
  await writeMetadata(client, row.id, input.collectionId, input.metadata);
  return { ...toDocument(row), metadata: input.metadata };
}

export function createPgLedger({ query, one, count, transaction }: PgContext): PgLedger {
  return {
    registerDocument(input) {
      return transaction((client) => registerWith(client, input));
    },
    recordRejected(input) {
      return transaction((client) => rejectWith(client, input));
    },
    async getDocument(id) {
      const row = await one<DocumentRow>(ledgerSql.byId, [id]);
      return row && toDocument(row);
    },
    async listDocuments(filter: DocumentFilter) {
      const where: string[] = [];
      const params: unknown[] = [];
      for (const key of filterKeys) {
        if (filter[key] !== undefined) {
          params.push(filter[key]);
          where.push(ledgerSql.filters[key](`$${params.length}`));
        }
      }
      params.push(filter.limit ?? 100);
      return (await query<DocumentRow>(ledgerSql.list(where, `$${params.length}`), params)).map(toDocument);
    },
    async listUnfinished() {
      return (await query<DocumentRow>(ledgerSql.unfinished)).map(toDocument);
    },
    async listInFlight({ after = '', limit }) {
      return (await query<DocumentRow>(ledgerSql.inFlight, [after, limit])).map(toDocument);
    },
    async listRunning() {
      return (await query<DocumentRow>(ledgerSql.running)).map(toDocument);
    },

    deleteDocument(documentId) {
      return transaction(async (client) => {
        await client.query(ledgerSql.deleteEvents, [documentId]);
        // Skipped copies point at this document; they go with it rather than point at nothing.
        await client.query(ledgerSql.deleteDuplicates, [documentId]);
        // Chunks go through their foreign key.
        return changed(await client.query(ledgerSql.delete, [documentId]));
      });
    },
    async countDocumentsByState() {
      const rows = await query<{ state: DocumentState; n: number }>(ledgerSql.countByState);
      return Object.fromEntries(rows.map((r) => [r.state, r.n]));
    },
    countCompletedSince: (since) => count(ledgerSql.completedSince, [since]),
    async documentStats(tenantId, since) {
      const params = tenantId === undefined ? [] : [tenantId];
      const sql = documentStatsSql(tenantId === undefined ? null : '$1', `$${params.length + 1}`, 'postgres');
      type Grouped = { tenant_id: string; n: number };
      const byCollection = (
        await query<Grouped & { collection_id: string; state: DocumentState }>(sql.byCollection, params)
      ).map((r) => ({ tenantId: r.tenant_id, collectionId: r.collection_id, state: r.state, documents: Number(r.n) }));
      const failures = (await query<Grouped & { error_code: ErrorCode | null }>(sql.failures, params)).map((r) => ({
        tenantId: r.tenant_id,
        code: r.error_code ?? 'internal_error',
        documents: Number(r.n),
      }));
      const completedSince = await Promise.all(
        since.map(async (at) => {
          const row = await one<{ documents: string; chunks: string }>(sql.completedSince, [...params, at]);
          return { documents: Number(row?.documents ?? 0), chunks: Number(row?.chunks ?? 0) };
        }),
      );
      const first = since[0];
      const perMinute = first
        ? (await query<{ minute: string; documents: string; chunks: string }>(sql.perMinute, [...params, first])).map(
            (r) => ({ minute: r.minute, documents: Number(r.documents), chunks: Number(r.chunks) }),
          )
        : [];
      return { byCollection, failures, completedSince, perMinute };
    },
  };
}
