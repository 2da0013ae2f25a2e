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
}

/**
 * The ledger is the truth and the queue only delivers: every unfinished document that has no job in the queue gets one. Run at start and every few seconds, it closes every gap between
 * the two (a process that died between recording and enqueueing, a Redis restarted without its data).
 */
export async function reconcileQueue(
  deps: { store: Store; queue: JobQueue },
  options: ReconcileOptions,
): Promise<DocumentRecord[]> {
  const now = Date.now();
  const due = (await deps.store.listUnfinished()).filter((doc) => {
    if (now - Date.parse(doc.updatedAt) < options.settleMs) {
      return false;
    }
    // A queued document not yet dispatched waits for its tenant's turn: the dispatcher owns it.
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
  return orphans;
}
