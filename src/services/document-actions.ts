import { documentStateEvent } from '../core/document-events.js';
import type { DocumentRecord } from '../core/types.js';
import type { EventBus } from '../ports/event-bus.js';
import type { JobQueue } from '../ports/queue.js';
import type { DocumentFilter, RetryableState, Store } from '../ports/store.js';
import type { Dispatcher } from './dispatch-documents.js';
import { settleCopiesOf } from './settle-copies.js';

export interface DocumentActionDependencies {
  store: Store;
  queue: JobQueue;
  events: EventBus;
  dispatcher: Pick<Dispatcher, 'collection'>;
}

const announce = (events: EventBus, doc: DocumentRecord): Promise<void> => events.publish(documentStateEvent(doc));

/**
 * Cancels a queued or running document. The ledger is the authority: once it says `cancelled`, any
 * attempt still running (here or in another process sharing the ledger) is fenced out at its next
 * write; the local queue is also told, so a run in this process stops at once through its signal.
 */
export async function cancelDocument(
  deps: DocumentActionDependencies,
  documentId: string,
): Promise<DocumentRecord | undefined> {
  const cancelled = await deps.store.cancel(documentId);
  await deps.queue.cancel(documentId);
  if (cancelled) {
    await announce(deps.events, cancelled);
    // Copies waiting for it go on without it: the oldest is processed in its own right.
    await settleCopiesOf(deps, cancelled.id);
    // Its slot in the tenant's share is free.
    await deps.dispatcher.collection(cancelled.collectionId);
  }
  return cancelled;
}

/** Queues failed or cancelled documents again with a fresh attempt budget. */
export async function retryDocuments(
  deps: DocumentActionDependencies,
  filter: DocumentFilter & { state: RetryableState },
): Promise<DocumentRecord[]> {
  // A file refused at the door has no stored bytes (empty hash): retrying it cannot succeed.
  const requeued = await deps.store.requeue(filter);
  for (const doc of requeued) {
    await announce(deps.events, doc);
  }
  for (const collectionId of new Set(requeued.map((d) => d.collectionId))) {
    await deps.dispatcher.collection(collectionId);
  }
  return requeued;
}
