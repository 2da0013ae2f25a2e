import type { SluiceEvent, StoredEvent } from '../core/events.js';

export type { SluiceEvent, StoredEvent } from '../core/events.js';

/**
 * Progress events. Every event is appended to a durable log before listeners hear of it, so a stream
 * can replay what it missed (SSE `Last-Event-ID`) and then follow live ones without a gap.
 */
export interface EventBus {
  publish(event: SluiceEvent): Promise<void>;
  /** Returns the function that unsubscribes. Listeners must not throw; a throw is reported, not spread. */
  subscribe(listener: (event: StoredEvent) => void): () => void;
}
