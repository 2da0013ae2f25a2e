import type { ErrorCode } from '../../core/errors.js';
import type { Transaction } from 'better-sqlite3';
import { newId } from '../../core/ids.js';
import type { DocumentState } from '../../core/states.js';
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
import type { ChunkRows } from './sqlite-chunk-rows.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import type { DispatchMethods } from './sqlite-dispatch.js';
import { copySql, countedStatsSql, documentFilterSql, documentSql } from './sqlite-sql.js';

/** Replaces a document's metadata and its indexed fields. */
function metadataWriter(stmt: SqliteContext['stmt']) {
  return (id: string, collectionId: string, metadata: DocumentMetadata): void => {
    stmt(documentSql.setMetadata).run(metadataText(metadata), id);
    stmt(documentSql.dropFields).run(id);
    for (const field of metadataFields(metadata)) {
      stmt(documentSql.insertField).run(id, collectionId, field.key, field.text, field.num);
    }
  };
}

/**
 * Records a file in a batch, deduplicated by content within one transaction (`planRegistration`
 * decides); called within another transaction, it is a part of that one.
 */
export function createRegistration({
  db,
  stmt,
  now,
}: SqliteContext): Transaction<(input: RegisterDocumentInput) => RegisterOutcome> {
  const getDocumentRow = stmt<[string], DocumentRow>(documentSql.byId);
  const insertDocument = stmt(documentSql.insert);
  const writeMetadata = metadataWriter(stmt);
  // Copies that waited for a document's old bytes go on without it when it takes new ones.
  const promoteCopiesOf = (id: string, at: string): void => {
    const promoted = stmt<[Record<string, unknown>], DocumentRow>(copySql.promote).get({ id, now: at });
    if (promoted) {
      stmt(copySql.repoint).run({ id, to: promoted.id });
    }
  };
  const registerDocument = db.transaction((input: RegisterDocumentInput): RegisterOutcome => {
    const { plan, outcome } = record(input);
    if (input.metadata === undefined) {
      return outcome;
    }
    for (const id of metadataTargets(plan, outcome.document.id, input.source)) {
      writeMetadata(id, input.collectionId, input.metadata);
    }
    return { ...outcome, document: { ...outcome.document, metadata: input.metadata } };
  });
  const record = (input: RegisterDocumentInput): { plan: RegistrationPlan; outcome: RegisterOutcome } => {
    const outcome = (o: RegisterOutcome) => ({ plan, outcome: o });
    const priority = input.priority ?? 0;
    const base = { ...input, priority, now: now(), duplicateOf: null, completedAt: null };
    const twin = stmt<[string, string], DocumentRow>(documentSql.twin).get(input.collectionId, input.sha256);
    // The source's document is looked for only when no twin decides.
    const previous = twin
      ? undefined
      : stmt<[string, string], DocumentRow>(documentSql.ofSource).get(input.collectionId, input.source);
    const plan = planRegistration(input.source, twin, previous);
    switch (plan.kind) {
      case 'pending':
        return outcome({ kind: 'pending', document: toDocument(plan.twin) });
      case 'duplicate': {
        const id = newId('doc');
        insertDocument.run({ ...base, id, state: 'skipped', duplicateOf: plan.of.id, completedAt: base.now });
        return outcome({ kind: 'skipped', document: toDocument(getDocumentRow.get(id) as DocumentRow) });
      }
      case 'copy': {
        const id = newId('doc');
        insertDocument.run({ ...base, id, state: 'queued', duplicateOf: plan.of.id });
        return outcome({ kind: 'queued', document: toDocument(getDocumentRow.get(id) as DocumentRow) });
      }
      case 'new_version':
        // The old chunks stay searchable until the new ones are published in one transaction, and any
        // attempt still running is fenced out.
        promoteCopiesOf(plan.previous.id, base.now);
        stmt(documentSql.newVersion).run({ ...base, id: plan.previous.id });
        return outcome({
          kind: 'queued',
          document: toDocument(getDocumentRow.get(plan.previous.id) as DocumentRow),
          replacedSha256: plan.previous.sha256,
        });
      case 'new': {
        const id = newId('doc');
        insertDocument.run({ ...base, id, state: 'queued' });
        return outcome({ kind: 'queued', document: toDocument(getDocumentRow.get(id) as DocumentRow) });
      }
    }
  };
  return registerDocument;
}

/**
 * The document ledger but its dispatch (`sqlite-dispatch.ts`): what was received, with its dedup, what
 * documents hold now, and their removal.
 */
export function createSqliteLedger(
  context: SqliteContext,
  chunkRows: ChunkRows,
): Synchronous<Omit<DocumentLedger, DispatchMethods | 'recordUpload'>> {
  const { db, stmt, now } = context;
  const getDocumentRow = stmt<[string], DocumentRow>(documentSql.byId);
  const register = createRegistration(context);
  const writeMetadata = metadataWriter(stmt);

  // The row and its metadata in one transaction.
  const recordRejected = db.transaction((input: RejectedDocumentInput) => {
    const id = newId('doc');
    const at = now();
    stmt(documentSql.insertRejected).run(id, ...rejectedValues(input), at, at, at);
    if (input.metadata !== undefined) {
      writeMetadata(id, input.collectionId, input.metadata);
    }
    return toDocument(getDocumentRow.get(id) as DocumentRow);
  });

  const deleteDocument = db.transaction((documentId: string) => {
    const row = getDocumentRow.get(documentId);
    if (!row) {
      return false;
    }
    chunkRows.deleteChunksOf(documentId, row.collection_id);
    chunkRows.deleteStagedOf(documentId, row.collection_id);
    stmt(documentSql.deleteEventsOf).run(documentId, documentId);
    // Skipped copies point at this document; they go with it rather than point at nothing.
    stmt(documentSql.deleteCopiesOf).run(documentId);
    stmt(documentSql.delete).run(documentId);
    return true;
  });

  return {
    registerDocument: (input) => register.immediate(input),
    recordRejected: (input) => recordRejected.immediate(input),
    getDocument(id) {
      const row = getDocumentRow.get(id);
      return row && toDocument(row);
    },
    listDocuments(filter: DocumentFilter) {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: filter.limit ?? 100 };
      for (const key of ['collectionId', 'batchId', 'documentId', 'state', 'tenantId', 'after'] as const) {
        if (filter[key] !== undefined) {
          where.push(documentFilterSql[key]);
          params[key] = filter[key];
        }
      }
      return stmt<[Record<string, unknown>], DocumentRow>(documentSql.list(where)).all(params).map(toDocument);
    },
    listUnfinished() {
      return stmt<[], DocumentRow>(documentSql.unfinished).all().map(toDocument);
    },
    listInFlight({ after = '', limit }) {
      return stmt<[string, number], DocumentRow>(documentSql.inFlight).all(after, limit).map(toDocument);
    },
    listRunning() {
      return stmt<[], DocumentRow>(documentSql.running).all().map(toDocument);
    },
    deleteDocument(documentId) {
      return deleteDocument.immediate(documentId);
    },
    countDocumentsByState() {
      const rows = stmt<[], { state: DocumentState; n: number }>(documentSql.countByState).all();
      return Object.fromEntries(rows.map((r) => [r.state, r.n]));
    },
    documentStats(tenantId, since) {
      const sql = documentStatsSql(tenantId === undefined ? null : '@tenantId', '@since', 'sqlite');
      const counted = countedStatsSql(tenantId !== undefined);
      const params = tenantId === undefined ? {} : { tenantId };
      type Grouped = { tenant_id: string; n: number };
      const byCollection = stmt<[object], Grouped & { collection_id: string; state: DocumentState }>(
        counted.byCollection,
      )
        .all(params)
        .map((r) => ({ tenantId: r.tenant_id, collectionId: r.collection_id, state: r.state, documents: r.n }));
      const failures = stmt<[object], Grouped & { error_code: ErrorCode | null }>(counted.failures)
        .all(params)
        .map((r) => ({ tenantId: r.tenant_id, code: r.error_code ?? 'internal_error', documents: r.n }));
      const completedSince = since.map(
        (at) =>
          stmt<[object], { documents: number; chunks: number }>(sql.completedSince).get({
            ...params,
            since: at.toISOString(),
          }) as { documents: number; chunks: number },
      );
      const first = since[0];
      const perMinute = first
        ? stmt<[object], { minute: string; documents: number; chunks: number }>(sql.perMinute).all({
            ...params,
            since: first.toISOString(),
          })
        : [];
      return { byCollection, failures, completedSince, perMinute };
    },
    countCompletedSince(since) {
      return stmt(documentSql.countCompletedSince).pluck().get(since.toISOString()) as number;
    },
  };
}
