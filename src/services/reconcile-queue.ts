import { runningStates } from '../core/states.js';
import type { DocumentRecord } from '../core/types.js';
import type { JobQueue } from '../ports/queue.js';
import type { Store } from '../ports/store.js';

export interface ReconcileOptions {
  /** Leave alone documents changed this recently: their job may be on its way into the queue. */
  settleMs: number;
  /**
   * Also give a job back to running documents that the queue no longer knows (their job was lost
   * with a Redis that kept no data); only meaningful when the queue is shared by every worker.
   */
  includeRunning: boolean;
  /** Running documents whose worker died (see findStalledDocuments): they get a job again in any case. */
  stalled?: ReadonlySet<string>;
  /** Look at the documents in flight after this id only (the last page ended there). */
  after?: string;
  /** Documents in flight looked at, at most. */
  limit: number;
}

/** What one reconciliation found: the documents given a job, and where its page ended (none: at the last). */
export interface Reconciled {
  orphans: DocumentRecord[];
  next?: string;
}

/**
 * The ledger is the truth and the queue only delivers: every document in flight (handed to the queue,
 * unfinished) that has no job in the queue gets one. Run at start and every few seconds, a page at a
 * time, it closes every gap between the two (a process that died between recording and enqueueing, a
 * Redis restarted without its data). Documents waiting for their tenant's turn are the dispatcher's:
 * a backlog of them costs a tick nothing.
 */
export async function reconcileQueue(
  deps: { store: Store; queue: JobQueue },
  options: ReconcileOptions,
): Promise<Reconciled> {
  const now = Date.now();
  const page = await deps.store.listInFlight({
    ...(options.after !== undefined ? { after: options.after } : {}),
    limit: options.limit,
  });
  const due = page.filter((doc) => {
    if (now - Date.parse(doc.updatedAt) < options.settleMs) {
      return false;
    }
    return (
      (doc.state === 'queued' && doc.dispatchedAt !== null) ||
      (runningStates.includes(doc.state) && (options.includeRunning || options.stalled?.has(doc.id) === true))
    );
  });
  // Asked all at once: with Redis these are round trips, and a large backlog would pay them in a row.
  const known = await Promise.all(due.map((doc) => deps.queue.has(doc.id)));
  const orphans = due.filter((_, i) => !known[i]);
  await deps.queue.enqueue(
    orphans.map((doc) => ({
      documentId: doc.id,
      // Already in its tenant's share: it goes ahead, like a first turn.
      priority: 0,
      // A document waiting out a retry backoff keeps waiting.
      delayMs: doc.availableAt ? Math.max(0, Date.parse(doc.availableAt) - now) : 0,
    })),
  );
  const last = page.at(-1);
  return page.length === options.limit && last ? { orphans, next: last.id } : { orphans };
}
