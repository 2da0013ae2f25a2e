import type { EventBus, StoredEvent } from '../ports/event-bus.js';
import type { Store } from '../ports/store.js';

/**
 * Embedded-mode events: each event is appended to the store's event log (which gives it its sequence
 * number) and then handed to this process's listeners. A throwing listener never breaks the publisher.
 */
export function createLedgerEventBus(store: Store, onListenerError: (error: unknown) => void): EventBus {
  const listeners = new Set<(event: StoredEvent) => void>();
  return {
    async publish(event) {
      const stored = await store.appendEvent(event);
      for (const listener of listeners) {
        try {
          listener(stored);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
