import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { chunk, publish, register, spec, useStores } from './store-fixtures.js';

/** Counts of documents for stats: by collection and state, failures by code, completions in a window. */
export function describeDocumentStatsContract(name: string, createStore: StoreFactory): void {
  describe(`Document stats contract: ${name}`, () => {
    const stores = useStores(createStore);

    it("counts one tenant's documents apart from another's, and every tenant's together", async () => {
      const fixture = await stores.open();
      const { store, collection } = fixture;
      const done = await register(fixture, 'done.txt');
      await publish(store, done.id, 'att_done', [chunk(0, 'one', [1, 0, 0, 0]), chunk(1, 'two', [0, 1, 0, 0])]);
      const broken = await register(fixture, 'broken.pdf');
      await store.claim(broken.id, 'att_b');
      await store.fail(broken.id, 'att_b', 'corrupt_file', 'bad');
      await register(fixture, 'waiting.txt');

      const other = await store.ensureTenant('someone-else');
      const theirs = await store.ensureCollection(other.id, 'theirs', spec);
      const theirBatch = await store.createBatch(theirs.id, 'b');
      const their = await register({ store, collection: theirs, batch: theirBatch }, 'their.txt');
      await store.claim(their.id, 'att_t');
      await store.fail(their.id, 'att_t', 'encrypted_file', 'locked');

      const hourAgo = new Date(Date.now() - 3_600_000);
      const later = new Date(Date.now() + 3_600_000);
      const mine = await store.documentStats(fixture.tenant.id, [hourAgo, later]);
      expect(mine.byCollection.sort((a, b) => a.state.localeCompare(b.state))).toEqual([
        { tenantId: fixture.tenant.id, collectionId: collection.id, state: 'completed', documents: 1 },
        { tenantId: fixture.tenant.id, collectionId: collection.id, state: 'failed', documents: 1 },
        { tenantId: fixture.tenant.id, collectionId: collection.id, state: 'queued', documents: 1 },
      ]);
      expect(mine.failures).toEqual([{ tenantId: fixture.tenant.id, code: 'corrupt_file', documents: 1 }]);
      expect(mine.completedSince).toEqual([
        { documents: 1, chunks: 2 },
        { documents: 0, chunks: 0 },
      ]);

      expect(mine.perMinute).toEqual([
        { minute: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/), documents: 1, chunks: 2 },
      ]);
      expect(mine.perMinute[0]?.minute).toBe((await store.getDocument(done.id))?.completedAt?.slice(0, 16));

      const all = await store.documentStats(undefined, [hourAgo]);
      expect(all.failures.map((f) => f.code).sort()).toEqual(['corrupt_file', 'encrypted_file']);
      expect(new Set(all.byCollection.map((r) => r.tenantId))).toEqual(new Set([fixture.tenant.id, other.id]));
    });
  });
}
