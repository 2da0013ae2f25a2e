import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBus, SluiceEvent, StoredEvent } from '../../src/ports/event-bus.js';
import type { Store } from '../../src/ports/store.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** A bus over the event log it was given, and what it reported. */
export interface BusUnderTest {
  bus: EventBus;
  /** Another instance sharing the log and the channel, where the adapter connects instances (another API node). */
  peer?: EventBus;
  /** What the bus passed to its `onListenerError`. */
  listenerErrors: unknown[];
  close(): Promise<void>;
}

export interface EventBusContractOptions {
  /** Events published through one instance reach the listeners of another (a shared channel). */
  acrossInstances: boolean;
}

/** The event log the bus appends to, with the events it holds in the order they were appended. */
interface RecordingLog {
  store: Store;
  appended: StoredEvent[];
}

/** A real SQLite store whose `appendEvent` also records what it stored, once it is stored. */
function openRecordingLog(): RecordingLog {
  const store = createSqliteStore({
    path: join(mkdtempSync(join(tmpdir(), 'sluice-bus-')), 'sluice.db'),
    textSearchThread: false,
  });
  const appended: StoredEvent[] = [];
  const recording = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'appendEvent') {
        return async (event: SluiceEvent) => {
          const stored = await target.appendEvent(event);
          appended.push(stored);
          return stored;
        };
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { store: recording, appended };
}

const at = new Date().toISOString();
const progress = (batchId: string, chunksEmbedded: number): SluiceEvent => ({
  type: 'document.progress',
  documentId: `doc_${batchId}`,
  batchId,
  chunksEmbedded,
  chunksTotal: 10,
  at,
});

/** What a listener heard of one batch (other tests' and probes' events are not its business). */
function listenTo(bus: EventBus, batchId: string): { heard: StoredEvent[]; unsubscribe: () => void } {
  const heard: StoredEvent[] = [];
  const unsubscribe = bus.subscribe((event) => {
    if (event.batchId === batchId) {
      heard.push(event);
    }
  });
  return { heard, unsubscribe };
}

/**
 * Waits until the bus's listeners hear what is published: a bus may subscribe in the background (a
 * Redis SUBSCRIBE), and the port promises the log, not live delivery, for what came before.
 */
async function untilListening(publisher: EventBus, listener: EventBus): Promise<void> {
  const probe = listenTo(listener, 'probe');
  try {
    await expect
      .poll(
        async () => {
          await publisher.publish(progress('probe', 0));
          return probe.heard.length;
        },
        { timeout: 5000, interval: 20 },
      )
      .toBeGreaterThan(0);
  } finally {
    probe.unsubscribe();
  }
}

/** The behaviour every EventBus adapter must show; run it against each. */
export function describeEventBusContract(
  name: string,
  createBus: (log: Store) => Promise<BusUnderTest>,
  options: EventBusContractOptions,
): void {
  describe(`EventBus contract: ${name}`, () => {
    const opened: { log: RecordingLog; bus?: BusUnderTest }[] = [];
    afterEach(async () => {
      for (const { log, bus } of opened.splice(0)) {
        await bus?.close();
        await log.store.close();
      }
    });
    const open = async (): Promise<BusUnderTest & { log: RecordingLog }> => {
      const log = openRecordingLog();
      const entry: (typeof opened)[number] = { log };
      opened.push(entry);
      entry.bus = await createBus(log.store);
      return { ...entry.bus, log };
    };

    it('appends every event to the log before any listener hears it, with the sequence number the log gave it', async () => {
      const { bus, log } = await open();
      const heard: { event: StoredEvent; logged: boolean }[] = [];
      bus.subscribe((event) => {
        if (event.batchId === 'b1') {
          heard.push({ event, logged: log.appended.some((e) => e.seq === event.seq) });
        }
      });
      await untilListening(bus, bus);
      for (let i = 1; i <= 3; i++) {
        await bus.publish(progress('b1', i));
        // Once publish resolves, the event is in the log for any stream that reads it.
        expect((await log.store.listEvents({ batchId: 'b1', afterSeq: 0, limit: 10 })).length).toBe(i);
      }
      await expect.poll(() => heard.length).toBe(3);
      expect(heard.every((h) => h.logged)).toBe(true);
      const inLog = await log.store.listEvents({ batchId: 'b1', afterSeq: 0, limit: 10 });
      expect(heard.map((h) => h.event)).toEqual(inLog);
      expect(inLog.map((e) => (e.type === 'document.progress' ? e.chunksEmbedded : -1))).toEqual([1, 2, 3]);
    });

    it('delivers to every listener until it unsubscribes, and to the others after', async () => {
      const { bus } = await open();
      const first = listenTo(bus, 'b1');
      const second = listenTo(bus, 'b1');
      await untilListening(bus, bus);
      await bus.publish(progress('b1', 1));
      await expect.poll(() => [first.heard.length, second.heard.length]).toEqual([1, 1]);
      first.unsubscribe();
      // A second call is harmless.
      first.unsubscribe();
      await bus.publish(progress('b1', 2));
      await bus.publish(progress('b1', 3));
      await expect.poll(() => second.heard.length).toBe(3);
      // Listeners hear in one pass: by the time the second heard both, the first would have too.
      expect(first.heard.length).toBe(1);
    });

    it('reports a throwing listener without breaking the publisher or the other listeners', async () => {
      const { bus, listenerErrors } = await open();
      const failure = new Error('listener failed');
      bus.subscribe((event) => {
        if (event.batchId === 'b1') {
          throw failure;
        }
      });
      const other = listenTo(bus, 'b1');
      await untilListening(bus, bus);
      await expect(bus.publish(progress('b1', 1))).resolves.toBeUndefined();
      await expect(bus.publish(progress('b1', 2))).resolves.toBeUndefined();
      await expect.poll(() => other.heard.length).toBe(2);
      await expect.poll(() => listenerErrors.length).toBe(2);
      expect(listenerErrors).toEqual([failure, failure]);
    });

    it.runIf(options.acrossInstances)(
      'hears events published by another instance, in order, as the shared log numbered them',
      async () => {
        const { bus, peer, log } = await open();
        if (!peer) {
          throw new Error(`${name} connects instances but the factory made no peer`);
        }
        const here = listenTo(bus, 'b1');
        const there = listenTo(peer, 'b1');
        await untilListening(peer, bus);
        await untilListening(bus, peer);
        for (let i = 1; i <= 5; i++) {
          await peer.publish(progress('b1', i));
        }
        await bus.publish(progress('b1', 6));
        await expect.poll(() => [here.heard.length, there.heard.length]).toEqual([6, 6]);
        const inLog = await log.store.listEvents({ batchId: 'b1', afterSeq: 0, limit: 10 });
        expect(here.heard).toEqual(inLog);
        expect(there.heard).toEqual(inLog);
      },
    );
  });
}
