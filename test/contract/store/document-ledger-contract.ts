import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { chunk, publish, register, spec, useStores } from './store-fixtures.js';

/** The `DocumentLedger` role: what was received, its dedup, its place in the queue, and what it holds now. */
export function describeDocumentLedgerContract(name: string, createStore: StoreFactory): void {
  describe(`DocumentLedger contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('records identical bytes under another source as a copy that waits for its original', async () => {
      const { store, collection, batch } = await stores.open();
      const first = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'a.txt',
        sha256: 'aa',
        sizeBytes: 1,
      });
      expect(first.kind).toBe('queued');
      const again = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'a.txt',
        sha256: 'aa',
        sizeBytes: 1,
      });
      expect(again).toMatchObject({ kind: 'pending', document: { id: first.document.id } });
      const copy = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'copy.txt',
        sha256: 'aa',
        sizeBytes: 1,
      });
      expect(copy.kind).toBe('queued');
      expect(copy.document).toMatchObject({ state: 'queued', duplicateOf: first.document.id });
    });

    it('records an upload in one transaction: its batch, every file in the order given, and its Idempotency-Key', async () => {
      const { store, tenant, collection } = await stores.open();
      await store.registerDocument({
        collectionId: collection.id,
        batchId: (await store.createBatch(collection.id, 'earlier')).id,
        source: 'known.txt',
        sha256: 'kk',
        sizeBytes: 2,
      });
      const idempotency = { tenantId: tenant.id, key: 'POST /upload k1', fingerprint: 'fp' };
      const recorded = await store.recordUpload({
        collectionId: collection.id,
        label: 'upload of 4 files',
        priority: 3,
        files: [
          { source: 'big.txt', sha256: 'bb', sizeBytes: 9 },
          { source: 'copy-of-known.txt', sha256: 'kk', sizeBytes: 2 },
          { source: 'huge.bin', sizeBytes: 99, refused: { code: 'file_too_large', message: 'too large' } },
          { source: 'small.txt', sha256: 'ss', sizeBytes: 1 },
        ],
        idempotency,
      });
      if (recorded.kind !== 'recorded') {
        throw new Error(`expected a recorded upload, got ${recorded.kind}`);
      }
      expect(recorded.batch).toMatchObject({ collectionId: collection.id, label: 'upload of 4 files' });
      expect(
        recorded.outcomes.map((o) => [o.kind, o.document.source, o.document.batchId, o.document.priority]),
      ).toEqual([
        ['queued', 'big.txt', recorded.batch.id, 3],
        ['queued', 'copy-of-known.txt', recorded.batch.id, 3],
        ['rejected', 'huge.bin', recorded.batch.id, 3],
        ['queued', 'small.txt', recorded.batch.id, 3],
      ]);
      expect(recorded.outcomes[2]?.document).toMatchObject({ state: 'failed', errorCode: 'file_too_large' });
      // The key says which batch the upload made, with no answer yet given.
      expect(await store.getIdempotentResponse(tenant.id, idempotency.key)).toEqual({
        status: 0,
        body: JSON.stringify({ batch_id: recorded.batch.id }),
        fingerprint: 'fp',
      });
      // A second upload with the key records nothing, and finds the first.
      const again = await store.recordUpload({
        collectionId: collection.id,
        label: 'upload of 1 file',
        files: [{ source: 'other.txt', sha256: 'oo', sizeBytes: 1 }],
        idempotency,
      });
      expect(again).toEqual({
        kind: 'exists',
        earlier: { status: 0, body: JSON.stringify({ batch_id: recorded.batch.id }), fingerprint: 'fp' },
      });
      expect((await store.listBatches(10, tenant.id)).map((b) => b.label)).not.toContain('upload of 1 file');
      expect(await store.listDocuments({ collectionId: collection.id, limit: 10 })).toHaveLength(5);
      // The answer given at last replaces the one still to be given, for the same request only, once.
      expect(await store.putIdempotentResponse(tenant.id, idempotency.key, 'other fp', 202, '{"x":1}')).toBe(false);
      expect(await store.putIdempotentResponse(tenant.id, idempotency.key, 'fp', 202, '{"x":2}')).toBe(true);
      expect(await store.putIdempotentResponse(tenant.id, idempotency.key, 'fp', 202, '{"x":3}')).toBe(false);
      expect(await store.getIdempotentResponse(tenant.id, idempotency.key)).toEqual({
        status: 202,
        body: '{"x":2}',
        fingerprint: 'fp',
      });
    });

    it('leaves nothing of an upload whose recording fails half-way', async () => {
      const { store, tenant, collection } = await stores.open();
      const before = await store.listBatches(10, tenant.id);
      await expect(
        store.recordUpload({
          collectionId: collection.id,
          label: 'upload of 3 files',
          files: [
            { source: 'a.txt', sha256: 'aa', sizeBytes: 1 },
            { source: 'b.txt', sha256: 'bb', sizeBytes: 1 },
            // A file no database takes: its source is missing.
            { source: null as unknown as string, sha256: 'cc', sizeBytes: 1 },
          ],
          idempotency: { tenantId: tenant.id, key: 'POST /upload k2', fingerprint: 'fp' },
        }),
      ).rejects.toThrow();
      expect(await store.listBatches(10, tenant.id)).toEqual(before);
      expect(await store.listDocuments({ collectionId: collection.id, limit: 10 })).toEqual([]);
      expect(await store.getIdempotentResponse(tenant.id, 'POST /upload k2')).toBeUndefined();
    });

    it('records a file as it came, dedups per collection, and takes a new version of a source over its document', async () => {
      const fixture = await stores.open();
      const { store, tenant, collection, batch } = fixture;
      const first = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'a.txt',
        sha256: 'v1',
        sizeBytes: 7,
      });
      expect(first).toEqual({
        kind: 'queued',
        document: expect.objectContaining({
          collectionId: collection.id,
          batchId: batch.id,
          source: 'a.txt',
          sha256: 'v1',
          sizeBytes: 7,
          state: 'queued',
          priority: 0,
          attempts: 0,
          attemptId: null,
          errorCode: null,
          duplicateOf: null,
          chunksTotal: 0,
          chunksEmbedded: 0,
          dispatchedAt: null,
        }),
      });
      expect(await store.getDocument(first.document.id)).toEqual(first.document);
      expect(await store.getDocument('doc_unknown')).toBeUndefined();
      // Identical bytes in another collection are not a duplicate.
      const elsewhere = await store.ensureCollection(tenant.id, 'elsewhere', spec);
      const there = await store.registerDocument({
        collectionId: elsewhere.id,
        batchId: batch.id,
        source: 'b.txt',
        sha256: 'v1',
        sizeBytes: 7,
      });
      expect(there.kind).toBe('queued');
      // Once completed, the same source with the same bytes is a duplicate of itself, not pending work.
      await publish(store, first.document.id, 'att_1', [chunk(0, 'one', [1, 0, 0, 0])]);
      expect((await register(fixture, 'a.txt', { sha256: 'v1' })).state).toBe('skipped');
      // New bytes for a source running now: the document is queued again and its attempt is fenced out.
      const running = await register(fixture, 'r.txt', { sha256: 'r1' });
      await store.claim(running.id, 'att_r');
      const newer = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'r.txt',
        sha256: 'r2',
        sizeBytes: 2,
      });
      expect(newer).toMatchObject({
        kind: 'queued',
        document: { id: running.id, sha256: 'r2', state: 'queued', attempts: 0 },
      });
      expect(await store.setStage(running.id, 'att_r', 'chunking')).toBe(false);
    });

    it('lists documents by tenant, collection, batch, state and id, with cursor pages, and nothing of another tenant', async () => {
      const fixture = await stores.open();
      const { store, tenant, collection, batch } = fixture;
      const a = await register(fixture, 'a');
      const b = await register(fixture, 'b');
      await store.cancel(b.id);
      const other = await store.ensureTenant('t2');
      const theirs = await store.ensureCollection(other.id, 'docs', spec);
      const theirBatch = await store.createBatch(theirs.id, 'theirs');
      const { document: c } = await store.registerDocument({
        collectionId: theirs.id,
        batchId: theirBatch.id,
        source: 'c',
        sha256: 'c',
        sizeBytes: 1,
      });
      const ids = async (filter: Parameters<typeof store.listDocuments>[0]) =>
        (await store.listDocuments(filter)).map((d) => d.id);
      expect(await ids({})).toEqual([a.id, b.id, c.id]);
      expect(await ids({ tenantId: tenant.id })).toEqual([a.id, b.id]);
      expect(await ids({ tenantId: other.id })).toEqual([c.id]);
      expect(await ids({ collectionId: collection.id })).toEqual([a.id, b.id]);
      expect(await ids({ batchId: batch.id, state: 'cancelled' })).toEqual([b.id]);
      expect(await ids({ documentId: c.id, tenantId: tenant.id })).toEqual([]);
      expect(await ids({ limit: 1 })).toEqual([a.id]);
      expect(await ids({ after: a.id, limit: 1 })).toEqual([b.id]);
      expect(await ids({ after: c.id })).toEqual([]);
    });

    it('lists the documents in flight a page at a time, by id, leaving out those waiting for their turn', async () => {
      const fixture = await stores.open();
      const { store, tenant } = fixture;
      const queued = await register(fixture, 'queued');
      const dispatched = await register(fixture, 'dispatched');
      const running = await register(fixture, 'running');
      const done = await register(fixture, 'done');
      // Three handed to the queue (the oldest first), one left waiting for the tenant's turn.
      expect((await store.dispatch(tenant.id, { maxInFlight: 3 })).map((d) => d.documentId).sort()).toEqual(
        [queued.id, dispatched.id, running.id].sort(),
      );
      const late = await register(fixture, 'late');
      await store.claim(running.id, 'att_r');
      await publish(store, done.id, 'att_d', [chunk(0, 'x', [1, 0, 0, 0])]);
      const ids = async (page: { after?: string; limit: number }) => (await store.listInFlight(page)).map((d) => d.id);
      const inFlight = [queued.id, dispatched.id, running.id].sort();
      expect(await ids({ limit: 10 })).toEqual(inFlight);
      expect(await ids({ limit: 2 })).toEqual(inFlight.slice(0, 2));
      expect(await ids({ after: inFlight[1]!, limit: 2 })).toEqual(inFlight.slice(2));
      expect(await ids({ after: inFlight[2]!, limit: 2 })).toEqual([]);
      expect(inFlight).not.toContain(late.id);
    });

    it('tells what is unfinished, what runs, how many are in each state and how many completed since a time', async () => {
      const fixture = await stores.open();
      const { store } = fixture;
      const since = new Date(Date.now() - 1000);
      const done = await register(fixture, 'done');
      await publish(store, done.id, 'att_d', [chunk(0, 'x', [1, 0, 0, 0])]);
      const low = await register(fixture, 'low');
      const parsing = await register(fixture, 'parsing');
      await store.claim(parsing.id, 'att_p');
      const embedding = await register(fixture, 'embedding');
      await store.claim(embedding.id, 'att_e');
      await store.setStage(embedding.id, 'att_e', 'embedding');
      const urgent = await register(fixture, 'urgent', { priority: 5 });
      const failed = await register(fixture, 'failed');
      await store.claim(failed.id, 'att_f');
      await store.fail(failed.id, 'att_f', 'corrupt_file', 'bad');
      expect((await store.listUnfinished()).map((d) => d.id).sort()).toEqual(
        [urgent.id, low.id, parsing.id, embedding.id].sort(),
      );
      expect((await store.listRunning()).map((d) => d.id).sort()).toEqual([parsing.id, embedding.id].sort());
      expect(await store.countDocumentsByState()).toEqual({
        completed: 1,
        queued: 2,
        parsing: 1,
        embedding: 1,
        failed: 1,
      });
      expect(await store.countCompletedSince(since)).toBe(1);
      expect(await store.countCompletedSince(new Date(Date.now() + 60_000))).toBe(0);
    });

    it('deletes a document with its chunks, the copies that point at it and their events, which name their files', async () => {
      const fixture = await stores.open();
      const { store, collection, batch } = fixture;
      const doc = await register(fixture, 'a');
      await publish(store, doc.id, 'att', [chunk(0, 'gone soon', [1, 0, 0, 0])]);
      const copy = await register(fixture, 'copy', { sha256: 'a' });
      expect(copy.state).toBe('skipped');
      const kept = await register(fixture, 'kept');
      await store.appendEvent({
        type: 'document.state',
        documentId: doc.id,
        batchId: batch.id,
        state: 'completed',
        attempt: 1,
        at: new Date().toISOString(),
      });
      await store.appendEvent({
        type: 'document.state',
        documentId: kept.id,
        batchId: batch.id,
        state: 'queued',
        attempt: 0,
        at: new Date().toISOString(),
      });
      expect(await store.deleteDocument(doc.id)).toBe(true);
      expect(await store.getDocument(doc.id)).toBeUndefined();
      expect(await store.getDocument(copy.id)).toBeUndefined();
      expect(await store.getDocument(kept.id)).toMatchObject({ state: 'queued' });
      expect(await store.countChunks(collection.id)).toBe(0);
      expect(await store.searchText(collection.id, 'gone', 5)).toEqual([]);
      expect(await store.searchVector(collection.id, new Float32Array([1, 0, 0, 0]), 5)).toEqual([]);
      expect(await store.listEvents({ documentId: doc.id, afterSeq: 0, limit: 10 })).toEqual([]);
      expect(await store.listEvents({ batchId: batch.id, afterSeq: 0, limit: 10 })).toHaveLength(1);
      expect(await store.deleteDocument(doc.id)).toBe(false);
    });

    it('dispatches the largest files of a batch first, equal sizes in the order they came', async () => {
      const { store, collection, batch, tenant } = await stores.open();
      const register = async (name: string, sizeBytes: number) =>
        (
          await store.registerDocument({
            collectionId: collection.id,
            batchId: batch.id,
            source: name,
            sha256: name,
            sizeBytes,
          })
        ).document.id;
      const ids = [
        await register('small', 5),
        await register('large-a', 50),
        await register('middle', 20),
        await register('large-b', 50),
      ];
      const [small, largeA, middle, largeB] = ids;
      expect((await store.dispatch(tenant.id, { maxInFlight: 2 })).map((d) => d.documentId)).toEqual([largeA, largeB]);
      // Waiting beyond the share: the middle one is next, the small one after it.
      expect(await store.queuePosition(middle!)).toBe(1);
      expect(await store.queuePosition(small!)).toBe(2);
    });

    it('dispatches a tenant fairly: within its share, by priority, then in turns across its batches', async () => {
      const { store, collection, batch, tenant } = await stores.open();
      const other = await store.createBatch(collection.id, 'small');
      const register = async (batchId: string, name: string, priority = 0) =>
        (
          await store.registerDocument({
            collectionId: collection.id,
            batchId,
            source: name,
            sha256: name,
            sizeBytes: 10,
            priority,
          })
        ).document.id;
      const big = [];
      for (let i = 0; i < 6; i++) {
        big.push(await register(batch.id, `big-${i}`));
      }
      const small = [await register(other.id, 'small-0'), await register(other.id, 'small-1')];
      const urgent = await register(batch.id, 'urgent', 5);
      // Another tenant's documents are never counted or taken.
      const rival = await store.ensureTenant('rival');
      const theirs = await store.ensureCollection(rival.id, 'docs', spec);
      const theirBatch = await store.createBatch(theirs.id, 'theirs');
      await store.registerDocument({
        collectionId: theirs.id,
        batchId: theirBatch.id,
        source: 'r',
        sha256: 'r',
        sizeBytes: 1,
      });
      expect((await store.listTenantsAwaitingDispatch()).sort()).toEqual([tenant.id, rival.id].sort());

      const first = await store.dispatch(tenant.id, { maxInFlight: 4 });
      // Priority first, then the first file of each batch, then the second of each.
      expect(first).toEqual([
        { documentId: urgent, turn: 0 },
        { documentId: big[0], turn: 1 },
        { documentId: small[0], turn: 2 },
        { documentId: big[1], turn: 3 },
      ]);
      expect((await store.getDocument(big[0]!))?.dispatchedAt).not.toBeNull();
      expect((await store.getDocument(big[2]!))?.dispatchedAt).toBeNull();
      // Full: nothing more until a slot frees.
      expect(await store.dispatch(tenant.id, { maxInFlight: 4 })).toEqual([]);
      await store.claim(urgent, 'att_u');
      await store.fail(urgent, 'att_u', 'corrupt_file', 'bad');
      // One slot free, but refills wait for two.
      expect(await store.dispatch(tenant.id, { maxInFlight: 4, minFree: 2 })).toEqual([]);
      expect(await store.dispatch(tenant.id, { maxInFlight: 4 })).toEqual([{ documentId: small[1], turn: 3 }]);
      // A retry of a failed document waits its turn again; 0 lifts the limit.
      await store.requeue({ documentId: urgent, state: 'failed' });
      expect((await store.getDocument(urgent))?.dispatchedAt).toBeNull();
      const rest = await store.dispatch(tenant.id, { maxInFlight: 0 });
      expect(rest.map((d) => d.documentId)).toEqual([urgent, big[2], big[3], big[4], big[5]]);
      expect(await store.listTenantsAwaitingDispatch()).toEqual([rival.id]);
      // A document a queue delivered before its dispatch (a new version of a running source) counts as in flight once claimed.
      const late = await register(other.id, 'late');
      await store.claim(late, 'att_l');
      expect((await store.getDocument(late))?.dispatchedAt).not.toBeNull();

      // What the tenant holds, for quotas: a cancelled document counts as no document, but its raw file stays.
      await store.cancel(big[5]!);
      expect(await store.getTenantUsage(tenant.id)).toEqual({ documents: 9, bytes: 100, chunks: 0 });
      expect(await store.getTenantUsage(rival.id)).toEqual({ documents: 1, bytes: 1, chunks: 0 });
      expect(
        (await store.setTenantLimits(rival.id, { maxInFlight: 2, maxDocuments: 10, maxBytes: null, maxChunks: 0 }))
          ?.limits,
      ).toEqual({
        maxInFlight: 2,
        maxDocuments: 10,
        maxBytes: null,
        maxChunks: 0,
      });
      expect((await store.getTenant(rival.id))?.limits.maxInFlight).toBe(2);
    });

    it('tells what queued documents wait for, and which worker runs what', async () => {
      const { store, collection, batch, tenant } = await stores.open();
      const register = async (name: string) =>
        (
          await store.registerDocument({
            collectionId: collection.id,
            batchId: batch.id,
            source: name,
            sha256: name,
            sizeBytes: 1,
          })
        ).document.id;
      const [a, b, c, d] = [await register('a'), await register('b'), await register('c'), await register('d')];
      expect(await store.summarizeWaiting()).toEqual({
        forWorker: { documents: 0, oldestSince: null },
        forTenantShare: { documents: 4, oldestSince: expect.any(String) },
        retrying: { documents: 0, nextRetryAt: null },
      });
      await store.dispatch(tenant.id, { maxInFlight: 3 });
      expect((await store.claim(a, 'att_a', 'wrk_1'))?.workerId).toBe('wrk_1');
      await store.claim(b, 'att_b', 'wrk_2');
      const retryAt = new Date(Date.now() + 60_000);
      await store.scheduleRetry(b, 'att_b', 'embedder_failed', 'down', retryAt);
      const summary = await store.summarizeWaiting();
      expect(summary.forWorker).toEqual({ documents: 1, oldestSince: (await store.getDocument(c))?.dispatchedAt });
      expect(summary.forTenantShare).toEqual({ documents: 1, oldestSince: (await store.getDocument(d))?.createdAt });
      expect(summary.retrying).toEqual({ documents: 1, nextRetryAt: retryAt.toISOString() });
      expect((await store.listRunning()).map((doc) => [doc.id, doc.state, doc.workerId])).toEqual([
        [a, 'parsing', 'wrk_1'],
      ]);
      // Places in line: c is next for a worker, d next for the tenant's share, then a newcomer after it.
      const e = await register('e');
      expect(await Promise.all([a, b, c, d, e].map((id) => store.queuePosition(id)))).toEqual([
        undefined,
        undefined,
        1,
        1,
        2,
      ]);
    });
  });
}
