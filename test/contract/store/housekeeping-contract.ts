import { describe, expect, it } from 'vitest';
import { documentStateEvent } from '../../../src/core/document-events.js';
import type { SweepReport } from '../../../src/ports/store.js';
import type { StoreFactory } from './store-fixtures.js';
import { chunk, publish, register, useStores } from './store-fixtures.js';

const inAMinute = (): Date => new Date(Date.now() + 60_000);
const aDayAgo = (): Date => new Date(Date.now() - 86_400_000);

/** The `Housekeeping` role: retention, compaction, sizes, one sweeper at a time, the last sweep's report. */
export function describeHousekeepingContract(name: string, createStore: StoreFactory): void {
  describe(`Housekeeping contract: ${name}`, () => {
    const stores = useStores(createStore);

    it("prunes finished batches' events, old idempotency answers and emptied batches, and nothing newer or unfinished", async () => {
      const fixture = await stores.open();
      const { store, collection, tenant } = fixture;
      const done = await register(fixture, 'done.txt');
      await publish(store, done.id, 'att_1', [chunk(0, 'kept text', [1, 0, 0, 0])]);
      await store.appendEvent(documentStateEvent((await store.getDocument(done.id))!));
      const runningBatch = await store.createBatch(collection.id, 'running');
      const running = await register({ store, collection, batch: runningBatch }, 'running.txt');
      await store.appendEvent(documentStateEvent(running));
      const emptied = await store.createBatch(collection.id, 'emptied');
      const gone = await register({ store, collection, batch: emptied }, 'gone.txt');
      await store.deleteDocument(gone.id);
      await store.putIdempotentResponse(tenant.id, 'k', 'fp', 202, '{}');

      // Cutoffs in the past: everything is newer than retention lets go.
      expect(await store.prune({ events: aDayAgo(), idempotency: aDayAgo(), batches: aDayAgo() })).toEqual({
        events: 0,
        idempotencyKeys: 0,
        batches: 0,
      });
      const pruned = await store.prune({ events: inAMinute(), idempotency: inAMinute(), batches: inAMinute() });
      expect(pruned).toEqual({ events: 1, idempotencyKeys: 1, batches: 1 });
      expect(await store.listEvents({ batchId: fixture.batch.id, afterSeq: 0, limit: 10 })).toEqual([]);
      expect(await store.listEvents({ batchId: runningBatch.id, afterSeq: 0, limit: 10 })).toHaveLength(1);
      expect(await store.getIdempotentResponse(tenant.id, 'k')).toBeUndefined();
      expect(await store.getBatch(emptied.id)).toBeUndefined();
      expect(await store.getBatch(fixture.batch.id)).toBeDefined();
      expect(await store.getDocument(done.id)).toMatchObject({ state: 'completed' });
    });

    it('removes the events of a deleted collection with it', async () => {
      const fixture = await stores.open();
      const doc = await register(fixture, 'a.txt');
      await fixture.store.appendEvent(documentStateEvent(doc));
      await fixture.store.deleteCollection(fixture.collection.id);
      expect(await fixture.store.listEvents({ documentId: doc.id, afterSeq: 0, limit: 10 })).toEqual([]);
    });

    it('gives a lease to one holder at a time, until it is released or lapses', async () => {
      const { store } = await stores.open();
      const takes = await Promise.all(['a', 'b', 'c', 'd'].map((holder) => store.tryLease('sweeper', holder, 60_000)));
      expect(takes.filter(Boolean)).toHaveLength(1);
      const holder = ['a', 'b', 'c', 'd'][takes.indexOf(true)] as string;
      expect(await store.leaseHolder('sweeper')).toBe(holder);
      expect(await store.leaseHolder('no such lease')).toBeUndefined();
      expect(await store.tryLease('sweeper', holder, 60_000)).toBe(true);
      const other = holder === 'a' ? 'b' : 'a';
      expect(await store.tryLease('sweeper', other, 60_000)).toBe(false);
      expect(await store.tryLease('another lease', other, 60_000)).toBe(true);
      await store.releaseLease('sweeper', other);
      expect(await store.tryLease('sweeper', other, 60_000)).toBe(false);
      await store.releaseLease('sweeper', holder);
      expect(await store.tryLease('sweeper', other, 1)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await store.leaseHolder('sweeper')).toBeUndefined();
      expect(await store.tryLease('sweeper', holder, 60_000)).toBe(true);
    });

    it("keeps the last sweep's report, and tells its size and what compaction did", async () => {
      const { store } = await stores.open();
      expect(await store.lastSweep()).toBeUndefined();
      const report: SweepReport = {
        at: new Date().toISOString(),
        ms: 12,
        blobs: { removed: 2, bytes: 300, kept: 5 },
        staging: { files: 1, bytes: 10 },
        rows: { events: 4, idempotencyKeys: 0, batches: 1 },
        disk: { blobs: { files: 5, bytes: 1000 }, staging: { files: 0, bytes: 0 }, databaseBytes: 4096 },
        errors: [],
      };
      await store.recordSweep(report);
      await store.recordSweep({ ...report, ms: 13 });
      expect(await store.lastSweep()).toEqual({ ...report, ms: 13 });
      expect(await store.databaseBytes()).toBeGreaterThanOrEqual(0);
      const compacted = await store.compact();
      expect(compacted.notDone).toEqual([]);
    });
  });
}
