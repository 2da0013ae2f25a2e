import type { DocumentLedger } from '../../ports/document-ledger.js';
import { dispatchSlots } from '../dispatch-slots.js';
import { toWaitingSummary, type DocumentRow, type WaitingRow } from '../store-rows.js';
import type { PgContext } from './pg-context.js';
import { lockKeys } from './pg-migrations.js';
import { dispatchSql, lockSql } from './pg-sql.js';

/** The ledger's queue side: fair dispatch of each tenant's documents, and what queued documents wait for. */
export type PgDispatch = Pick<
  DocumentLedger,
  'dispatch' | 'listTenantsAwaitingDispatch' | 'queuePosition' | 'summarizeWaiting'
>;

export function createPgDispatch({ query, one, count, transaction }: PgContext): PgDispatch {
  return {
    dispatch(tenantId, options) {
      return transaction(async (client) => {
        // Dispatches for one tenant are serialised, so two workers finishing at once cannot overfill it.
        await client.query(lockSql.keyAndText, [lockKeys.dispatch, tenantId]);
        const inFlight = (await client.query<{ n: number }>(dispatchSql.inFlight, [tenantId])).rows[0]!.n;
        const slots = dispatchSlots(options.maxInFlight, inFlight, options.minFree ?? 1);
        if (slots === 0) {
          return [];
        }
        const picked = (await client.query<{ id: string }>(dispatchSql.take, [tenantId, slots])).rows.map((r) => r.id);
        await client.query(dispatchSql.markDispatched, [picked, picked.map((_, i) => inFlight + i)]);
        return picked.map((documentId, i) => ({ documentId, turn: inFlight + i }));
      });
    },
    async queuePosition(documentId) {
      const doc = await one<DocumentRow & { tenant_id: string }>(dispatchSql.withTenant, [documentId]);
      if (!doc || doc.state !== 'queued' || (doc.available_at && Date.parse(doc.available_at) > Date.now())) {
        return undefined;
      }
      if (doc.dispatched_at === null) {
        const ordered = (await query<{ id: string }>(dispatchSql.awaitingInOrder, [doc.tenant_id])).map((r) => r.id);
        const index = ordered.indexOf(documentId);
        return index < 0 ? undefined : index + 1;
      }
      return (await count(dispatchSql.aheadOfDispatched, [documentId, doc.dispatch_turn ?? 0, doc.dispatched_at])) + 1;
    },
    async summarizeWaiting() {
      const row = (await one<WaitingRow>(dispatchSql.waiting)) as WaitingRow;
      return toWaitingSummary(row);
    },
    listTenantsAwaitingDispatch() {
      return query<{ tenant_id: string }>(dispatchSql.tenantsAwaiting).then((rows) => rows.map((r) => r.tenant_id));
    },
  };
}
