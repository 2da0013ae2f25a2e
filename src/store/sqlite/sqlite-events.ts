import type { SluiceEvent, StoredEvent } from '../../ports/event-bus.js';
import type { EventLog } from '../../ports/event-log.js';
import { withCounts } from '../store-rows.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { eventSql } from './sqlite-sql.js';

/** The event log that progress streams replay: each event numbered in the order it was logged. */
export function createSqliteEvents({ db, stmt }: SqliteContext): Synchronous<EventLog> {
  const appendEvent = db.transaction((event: SluiceEvent): StoredEvent => {
    const logged =
      event.type === 'document.progress'
        ? withCounts(
            event,
            stmt<[string], { chunks_embedded: number; chunks_total: number | null }>(eventSql.progressOf).get(
              event.documentId,
            ),
          )
        : event;
    const { lastInsertRowid } = stmt(eventSql.insert).run(logged.batchId, logged.documentId, JSON.stringify(logged));
    return { ...logged, seq: Number(lastInsertRowid) };
  });

  return {
    appendEvent(event) {
      return appendEvent.immediate(event);
    },
    listEvents({ batchId, documentId, afterSeq, limit }) {
      const [column, value] =
        batchId !== undefined ? (['batch_id', batchId] as const) : (['document_id', documentId ?? ''] as const);
      return stmt<[string, number, number], { seq: number; data: string }>(eventSql.list(column))
        .all(value, afterSeq, limit)
        .map((row) => ({ ...(JSON.parse(row.data) as SluiceEvent), seq: row.seq }));
    },
  };
}
