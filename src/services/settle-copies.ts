import { documentStateEvent } from '../core/document-events.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Store } from '../ports/store.js';
import type { Dispatcher } from './dispatch-documents.js';

export interface SettleDependencies {
  store: Pick<Store, 'settleCopies' | 'listStrandedOriginals'>;
  events: EventBus;
  /** Dispatches a copy that takes a cancelled original's place; only a cancel needs it. */
  dispatcher?: Pick<Dispatcher, 'collection'>;
}

/**
 * Ends the copies that waited for a document now finished, as it ended (see `settleCopies`), and
 * announces them; a copy that takes a cancelled original's place is dispatched. Called whenever a
 * document ends; `settleStrandedCopies` catches up on any a stopped process left waiting.
 */
export async function settleCopiesOf(deps: SettleDependencies, originalId: string): Promise<void> {
  const settled = await deps.store.settleCopies(originalId);
  for (const copy of settled) {
    const error = copy.errorCode ? { code: copy.errorCode, message: copy.errorMessage ?? '' } : undefined;
    await deps.events.publish(documentStateEvent(copy, copy.state, error));
  }
  const promoted = settled.find((copy) => copy.state === 'queued');
  if (promoted) {
    await deps.dispatcher?.collection(promoted.collectionId);
  }
}

export async function settleStrandedCopies(deps: SettleDependencies): Promise<void> {
  for (const originalId of await deps.store.listStrandedOriginals()) {
    await settleCopiesOf(deps, originalId);
  }
}
