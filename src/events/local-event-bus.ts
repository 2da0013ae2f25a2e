import type { EventBus, SluiceEvent } from '../ports/event-bus.js';

/** Progress events within one process (embedded mode). A throwing listener never breaks the publisher. */
export function createLocalEventBus(onListenerError: (error: unknown) => void): EventBus {
  const listeners = new Set<(event: SluiceEvent) => void>();
  return {
    publish(event) {
      for (const listener of listeners) {
        try {
          listener(event);
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
