import type { Redis } from 'ioredis';
import type { EventBus, StoredEvent } from '../ports/event-bus.js';
import type { Store } from '../ports/store.js';

export interface RedisEventBusOptions {
  store: Store;
  /** Connection that publishes; may be shared with other commands. */
  publisher: Redis;
  /** Creates the connection that subscribes (a subscribed connection can do nothing else). */
  connectSubscriber: () => Redis;
  channel: string;
  onListenerError: (error: unknown) => void;
}

/**
 * Distributed-mode events: each event is appended to the shared event log (which gives it its
 * sequence number), then published on a Redis channel so that every API node hears every job, from
 * whichever worker. Pub/sub may drop messages while a connection is down; streams do not depend on it
 * alone, because they also read the log after the last sequence number they sent.
 */
export function createRedisEventBus(options: RedisEventBusOptions): EventBus & { close(): void } {
  const listeners = new Set<(event: StoredEvent) => void>();
  let subscriber: Redis | undefined;

  const deliver = (message: string): void => {
    const event = JSON.parse(message) as StoredEvent;
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        options.onListenerError(error);
      }
    }
  };

  return {
    async publish(event) {
      const stored = await options.store.appendEvent(event);
      const sent = options.publisher.publish(options.channel, JSON.stringify(stored)).catch(options.onListenerError);
      // Awaited while Redis is there, so that what one process publishes after another's has been
      // broadcast is heard after it. While Redis is away the event is in the log all the same: a lost
      // broadcast only delays it until the next read of the log, and the caller (an upload) goes on.
      if (options.publisher.status === 'ready') {
        await sent;
      }
    },
    subscribe(listener) {
      if (!subscriber) {
        subscriber = options.connectSubscriber();
        subscriber.on('message', (_channel: string, message: string) => deliver(message));
        subscriber.subscribe(options.channel).catch(options.onListenerError);
      }
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      subscriber?.disconnect();
    },
  };
}
