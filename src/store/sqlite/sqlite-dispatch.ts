import type { DocumentLedger } from '../../ports/document-ledger.js';
import { dispatchSlots } from '../dispatch-slots.js';
import { toWaitingSummary, type CollectionRow, type DocumentRow, type WaitingRow } from '../store-rows.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { collectionSql, dispatchSql, documentSql } from './sqlite-sql.js';

/** The ledger's methods about handing queued documents to the queue, each tenant its share. */
export type DispatchMethods = 'dispatch' | 'listTenantsAwaitingDispatch' | 'queuePosition' | 'summarizeWaiting';

/** Fair dispatch of queued documents, and where each one stands while it waits. */
export function createSqliteDispatch({
  db,
  stmt,
  now,
}: SqliteContext): Synchronous<Pick<DocumentLedger, DispatchMethods>> {
  const getDocumentRow = stmt<[string], DocumentRow>(documentSql.byId);
  const getCollectionRow = stmt<[string], CollectionRow>(collectionSql.byId);

  const dispatch = db.transaction((tenantId: string, maxInFlight: number, minFree: number) => {
    const inFlight = stmt<[string], { n: number }>(dispatchSql.inFlight).get(tenantId)!.n;
    const slots = dispatchSlots(maxInFlight, inFlight, minFree);
    if (slots === 0) {
      return [];
    }
    // LIMIT -1 is SQLite's "no limit".
    const picked = stmt<[string, number], { id: string }>(dispatchSql.pick).all(tenantId, slots ?? -1);
    const mark = stmt<[string, number, string]>(dispatchSql.mark);
    const at = now();
    return picked.map((row, i) => {
      mark.run(at, inFlight + i, row.id);
      return { documentId: row.id, turn: inFlight + i };
    });
  });

  return {
    dispatch(tenantId, options) {
      return dispatch.immediate(tenantId, options.maxInFlight, options.minFree ?? 1);
    },
    queuePosition(documentId) {
      const doc = getDocumentRow.get(documentId);
      if (!doc || doc.state !== 'queued' || (doc.available_at && doc.available_at > now())) {
        return undefined;
      }
      if (doc.dispatched_at === null) {
        const tenantId = (getCollectionRow.get(doc.collection_id) as CollectionRow).tenant_id;
        const ordered = stmt<[string], string>(dispatchSql.awaitingInOrder).pluck().all(tenantId);
        const index = ordered.indexOf(documentId);
        return index < 0 ? undefined : index + 1;
      }
      return stmt<[Record<string, unknown>], number>(dispatchSql.positionAmongDispatched)
        .pluck()
        .get({ now: now(), id: documentId, turn: doc.dispatch_turn ?? 0, at: doc.dispatched_at });
    },
    summarizeWaiting() {
      const row = stmt<[{ now: string }], WaitingRow>(dispatchSql.waiting).get({ now: now() })!;
      return toWaitingSummary(row);
    },
    listTenantsAwaitingDispatch() {
      return stmt<[], string>(dispatchSql.tenantsAwaiting).pluck().all();
    },
  };
}
