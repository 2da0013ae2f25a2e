import type { EventBus, StoredEvent } from '../ports/event-bus.js';
import type { Store } from '../ports/store.js';

export interface LedgerEventBus extends EventBus {
  /** Hands listeners an event another thread of this process logged (its workers', see worker-thread-host). */
  deliver(event: StoredEvent): void;
}

/**
 * Embedded-mode events: each event is appended to the store's event log (which gives it its sequence
 * number) and then handed to this process's listeners. A throwing listener never breaks the publisher.
 */
export function createLedgerEventBus(store: Store, onListenerError: (error: unknown) => void): LedgerEventBus {
  const listeners = new Set<(event: StoredEvent) => void>();
  const deliver = (stored: StoredEvent): void => {
    for (const listener of listeners) {
      try {
        listener(stored);
      } catch (error) {
        onListenerError(error);
      }
    }
  };
  return {
    async publish(event) {
      deliver(await store.appendEvent(event));
    },
    deliver,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
