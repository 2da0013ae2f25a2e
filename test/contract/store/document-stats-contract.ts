import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { chunk, publish, register, spec, useStores } from './store-fixtures.js';
import { expectStatsToMatchRecount } from './usage-recount.js';

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

    it('reports what a full recount gives after registrations, copies, runs, failures, retries, cancels, new versions and deletes', async () => {
      const fixture = await stores.open();
      const { store, tenant, collection, batch } = fixture;
      const other = await store.ensureTenant('t2');
      let tenants = [tenant.id, other.id];
      const check = (step: string) => expectStatsToMatchRecount(store, tenants, step);
      const vector = [1, 0, 0, 0];
      await check('empty');

      const a = await register(fixture, 'a.txt', { sha256: 'x', sizeBytes: 10 });
      const b = await register(fixture, 'b.txt', { sha256: 'y', sizeBytes: 20 });
      // The same bytes under another source: a copy that waits for a.txt, and shares its raw file.
      const copy = await register(fixture, 'copy-of-a.txt', { sha256: 'x', sizeBytes: 10 });
      expect(copy).toMatchObject({ state: 'queued', duplicateOf: a.id });
      await check('registered');

      await store.claim(a.id, 'att_a');
      await store.setStage(a.id, 'att_a', 'chunking');
      await store.setStage(a.id, 'att_a', 'embedding', { chunksTotal: 2, chunksEmbedded: 0 });
      await store.recordEmbedded(a.id, 'att_a', 0, 2);
      await store.setStage(a.id, 'att_a', 'indexing');
      await check('running');
      await store.complete(a.id, 'att_a', 'text/plain', [chunk(0, 'one', vector), chunk(1, 'two', vector)]);
      await store.settleCopies(a.id);
      expect(await register(fixture, 'late-copy.txt', { sha256: 'x', sizeBytes: 10 })).toMatchObject({
        state: 'skipped',
      });
      await check('published, its copies skipped');

      await store.claim(b.id, 'att_b');
      await store.fail(b.id, 'att_b', 'corrupt_file', 'bad');
      const flaky = await register(fixture, 'flaky.txt', { sha256: 'f', sizeBytes: 5 });
      await store.claim(flaky.id, 'att_f1');
      await store.scheduleRetry(flaky.id, 'att_f1', 'embedder_unavailable', '503', new Date(Date.now() + 60_000));
      // An original that fails takes its waiting copies with it, under its code.
      const locked = await register(fixture, 'locked.pdf', { sha256: 'l', sizeBytes: 40 });
      await register(fixture, 'locked-copy.pdf', { sha256: 'l', sizeBytes: 40 });
      await store.claim(locked.id, 'att_l');
      await store.fail(locked.id, 'att_l', 'encrypted_file', 'locked');
      await store.settleCopies(locked.id);
      // An upload: a new file, a copy of a completed one (skipped at once) and a file refused before it was stored.
      await store.recordUpload({
        collectionId: collection.id,
        label: 'upload',
        files: [
          { source: 'u.txt', sha256: 'u', sizeBytes: 3 },
          { source: 'u-copy.txt', sha256: 'x', sizeBytes: 10 },
          { source: 'huge.bin', sizeBytes: 999, refused: { code: 'file_too_large', message: 'too large' } },
        ],
      });
      await store.recordRejected({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'odd.bin',
        sizeBytes: 1,
        code: 'unsupported_media_type',
        message: 'odd',
      });
      await check('failed, retrying, refused and uploaded');

      await store.requeue({ documentId: b.id, state: 'failed' });
      await publish(store, b.id, 'att_b2', [chunk(0, 'three', vector)]);
      await store.claim(flaky.id, 'att_f2');
      await store.cancel(flaky.id);
      // A cancelled original: its oldest waiting copy goes on in its own right.
      const dropped = await register(fixture, 'dropped.txt', { sha256: 'd', sizeBytes: 8 });
      await register(fixture, 'dropped-copy.txt', { sha256: 'd', sizeBytes: 8 });
      await store.cancel(dropped.id);
      await store.settleCopies(dropped.id);
      await check('retried by hand, cancelled');

      // A new version of a.txt: its old chunks stay published until the new ones replace them, and its
      // skipped copies keep the old bytes.
      expect((await register(fixture, 'a.txt', { sha256: 'z', sizeBytes: 30 })).id).toBe(a.id);
      await check('new version queued');
      await publish(store, a.id, 'att_a2', [chunk(0, 'new', vector)]);
      await check('new version published');

      // The same bytes in a second collection of the tenant, and in another tenant's.
      const second = await store.ensureCollection(tenant.id, 'second', spec);
      const inSecond = { store, collection: second, batch: await store.createBatch(second.id, 'b') };
      const y = await register(inSecond, 'b.txt', { sha256: 'y', sizeBytes: 20 });
      await publish(store, y.id, 'att_y', [chunk(0, 'why', vector), chunk(1, 'not', vector)]);
      await register(inSecond, 'w.txt', { sha256: 'w', sizeBytes: 7 });
      const theirs = await store.ensureCollection(other.id, 'theirs', spec);
      const inTheirs = { store, collection: theirs, batch: await store.createBatch(theirs.id, 'b') };
      const their = await register(inTheirs, 'x.txt', { sha256: 'x', sizeBytes: 10 });
      await publish(store, their.id, 'att_t', [chunk(0, 'theirs', vector)]);
      await check('the same bytes in two collections and two tenants');

      // a.txt with both of its skipped copies, which share one raw file.
      await store.deleteDocument(a.id);
      await check('document deleted with its copies');
      await store.deleteCollection(second.id);
      await check('collection deleted');
      await store.deleteTenant(other.id);
      tenants = [tenant.id];
      await check('tenant deleted');
    });
  });
}
