import type { SluiceEvent } from '../../ports/event-bus.js';
import type { EventLog } from '../../ports/event-log.js';
import { withCounts } from '../store-rows.js';
import type { PgContext } from './pg-context.js';
import { lockKeys } from './pg-migrations.js';
import { eventSql, lockSql } from './pg-sql.js';

/** The event log: every event of a batch and of a document, in one order, to replay after a disconnect. */
export function createPgEventLog({ query, transaction }: PgContext): EventLog {
  return {
    appendEvent(event) {
      // Appends are serialised: a sequence number is taken and committed before the next is taken, so
      // a reader that has seen seq n never later finds a smaller one committed behind it.
      return transaction(async (client) => {
        await client.query(lockSql.key, [lockKeys.events]);
        let logged = event;
        if (event.type === 'document.progress') {
          const counts = await client.query<{ chunks_embedded: number; chunks_total: number | null }>(eventSql.counts, [
            event.documentId,
          ]);
          logged = withCounts(event, counts.rows[0]);
        }
        const { rows } = await client.query<{ seq: number }>(eventSql.insert, [
          logged.batchId,
          logged.documentId,
          JSON.stringify(logged),
        ]);
        return { ...logged, seq: (rows[0] as { seq: number }).seq };
      });
    },
    async listEvents({ batchId, documentId, afterSeq, limit }) {
      const [column, value] =
        batchId !== undefined ? (['batch_id', batchId] as const) : (['document_id', documentId ?? ''] as const);
      const rows = await query<{ seq: number; data: SluiceEvent }>(eventSql.after(column), [value, afterSeq, limit]);
      return rows.map((row) => ({ ...row.data, seq: row.seq }));
    },
  };
}
