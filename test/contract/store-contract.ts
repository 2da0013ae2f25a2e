import { describe, expect, it } from 'vitest';
import type { EmbeddedChunk, EmbedderSpec } from '../../src/core/types.js';
import type { Store } from '../../src/ports/store.js';

const spec: EmbedderSpec = { name: 'hash', model: 'test', dimension: 4 };

function chunk(index: number, text: string, vector: number[]): EmbeddedChunk {
  return { index, text, tokenCount: 3, charStart: index * 10, charEnd: index * 10 + text.length, page: null, vector: new Float32Array(vector) };
}

/** The behaviour every Store adapter must show; run it against each backend. */
export function describeStoreContract(name: string, createStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    async function setup() {
      const store = await createStore();
      const tenant = await store.ensureTenant('t1');
      const collection = await store.ensureCollection(tenant.id, 'docs', spec);
      const batch = await store.createBatch(collection.id, 'test');
      return { store, collection, batch, tenant };
    }

    it('pins a collection to its embedder', async () => {
      const { store, tenant } = await setup();
      await expect(store.ensureCollection(tenant.id, 'docs', { ...spec, dimension: 8 })).rejects.toMatchObject({ code: 'embedder_mismatch' });
      expect((await store.ensureCollection(tenant.id, 'docs', spec)).embedder).toEqual(spec);
      // The same name in another tenant is another collection, with its own pin.
      const other = await store.ensureTenant('t2');
      const theirs = await store.ensureCollection(other.id, 'docs', { ...spec, dimension: 8 });
      expect(theirs.tenantId).toBe(other.id);
      expect((await store.listCollections(tenant.id)).map((c) => c.name)).toEqual(['docs']);
      await store.close();
    });

    it('skips identical bytes and points at the original', async () => {
      const { store, collection, batch } = await setup();
      const first = await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source: 'a.txt', sha256: 'aa', sizeBytes: 1 });
      expect(first.kind).toBe('queued');
      const again = await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source: 'a.txt', sha256: 'aa', sizeBytes: 1 });
      expect(again).toMatchObject({ kind: 'pending', document: { id: first.document.id } });
      const copy = await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source: 'copy.txt', sha256: 'aa', sizeBytes: 1 });
      expect(copy.kind).toBe('skipped');
      expect(copy.document).toMatchObject({ state: 'skipped', duplicateOf: first.document.id });
      await store.close();
    });

    it('fences writes: a superseded attempt changes nothing', async () => {
      const { store, collection, batch } = await setup();
      const { document } = await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source: 'a.txt', sha256: 'aa', sizeBytes: 1 });
      expect(await store.claim(document.id, 'att_1')).toMatchObject({ state: 'parsing', attempts: 1 });
      expect(await store.claim(document.id, 'att_2')).toMatchObject({ attempts: 2 });
      expect(await store.setStage(document.id, 'att_1', 'chunking')).toBe(false);
      expect(await store.complete(document.id, 'att_1', 'text/plain', [chunk(0, 'late', [1, 0, 0, 0])])).toBe(false);
      expect(await store.countChunks(collection.id)).toBe(0);
      expect(await store.setStage(document.id, 'att_2', 'embedding', { chunksTotal: 2, chunksEmbedded: 0 })).toBe(true);
      // Batches of one document finish concurrently: their counts add up atomically, and a stale one adds nothing.
      expect(await Promise.all([store.recordEmbedded(document.id, 'att_2', 0, 1), store.recordEmbedded(document.id, 'att_1', 0, 1)])).toEqual([
        { chunksTotal: 2, chunksEmbedded: 1 },
        undefined,
      ]);
      // A batch delivered twice (its worker stalled and woke after another took it over) counts once.
      expect(await store.recordEmbedded(document.id, 'att_2', 0, 1)).toEqual({ chunksTotal: 2, chunksEmbedded: 1 });
      expect(await store.recordEmbedded(document.id, 'att_2', 1, 1)).toEqual({ chunksTotal: 2, chunksEmbedded: 2 });
      expect(await store.complete(document.id, 'att_2', 'text/plain', [chunk(0, 'alpha beta', [1, 0, 0, 0]), chunk(1, 'gamma delta', [0, 1, 0, 0])])).toBe(true);
      expect(await store.getDocument(document.id)).toMatchObject({ state: 'completed', chunksTotal: 2, chunksEmbedded: 2, mediaType: 'text/plain' });
      expect(await store.complete(document.id, 'att_2', 'text/plain', [chunk(0, 'again', [1, 0, 0, 0])])).toBe(false);
      expect(await store.claim(document.id, 'att_3')).toBeUndefined();
      expect(await store.countChunks(collection.id)).toBe(2);
      await store.close();
    });

    it('logs progress with the counts as they stand, so batches that publish out of order never move it backwards', async () => {
      const { store, collection, batch } = await setup();
      const { document } = await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source: 'a.txt', sha256: 'aa', sizeBytes: 1 });
      await store.claim(document.id, 'att_1');
      await store.setStage(document.id, 'att_1', 'embedding', { chunksTotal: 12, chunksEmbedded: 0 });
      const first = await store.recordEmbedded(document.id, 'att_1', 0, 4);
      const second = await store.recordEmbedded(document.id, 'att_1', 1, 4);
      const at = new Date().toISOString();
      const progress = (counts: { chunksTotal: number; chunksEmbedded: number }) =>
        store.appendEvent({ type: 'document.progress', documentId: document.id, batchId: batch.id, ...counts, at });
      // The second batch's event is logged before the first one's, as concurrent batches may do.
      const logged = [await progress(second!), await progress(first!)];
      expect(logged.map((e) => e.type === 'document.progress' && e.chunksEmbedded)).toEqual([8, 8]);
      const read = await store.listEvents({ documentId: document.id, afterSeq: 0, limit: 10 });
      expect(read.map((e) => e.type === 'document.progress' && [e.chunksEmbedded, e.chunksTotal])).toEqual([[8, 12], [8, 12]]);
      // A document that is gone leaves the event as it was sent.
      const orphan = await store.appendEvent({ type: 'document.progress', documentId: 'doc_gone', batchId: batch.id, chunksEmbedded: 3, chunksTotal: 5, at });
      expect(orphan).toMatchObject({ chunksEmbedded: 3, chunksTotal: 5 });
      await store.close();
    });

    it('replaces the chunks of a new version of a source in one step', async () => {
      const { store, collection, batch } = await setup();
      const v1 = await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source: 'a.txt', sha256: 'v1', sizeBytes: 1 });
      await store.claim(v1.document.id, 'a1');
      await store.complete(v1.document.id, 'a1', 'text/plain', [chunk(0, 'old words', [1, 0, 0, 0]), chunk(1, 'more old words', [0, 1, 0, 0])]);
      const v2 = await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source: 'a.txt', sha256: 'v2', sizeBytes: 1 });
      expect(v2).toMatchObject({ kind: 'queued', document: { id: v1.document.id, state: 'queued', attempts: 0 } });
      // The old version stays searchable until the new one is published.
      expect((await store.searchText(collection.id, 'old', 5)).length).toBe(2);
      await store.claim(v2.document.id, 'a2');
      await store.complete(v2.document.id, 'a2', 'text/plain', [chunk(0, 'new words', [0, 0, 1, 0])]);
      expect(await store.searchText(collection.id, 'old', 5)).toEqual([]);
      expect((await store.searchText(collection.id, 'new', 5)).map((h) => h.text)).toEqual(['new words']);
      expect((await store.searchVector(collection.id, new Float32Array([0, 1, 0, 0]), 5)).map((h) => h.text)).toEqual(['new words']);
      expect(await store.countChunks(collection.id)).toBe(1);
      await store.close();
    });

    it('searches by vector and by full text within a collection', async () => {
      const { store, collection, batch, tenant } = await setup();
      const other = await store.ensureCollection(tenant.id, 'other', spec);
      const otherBatch = await store.createBatch(other.id, 'x');
      for (const [c, b, source, text, vector] of [
        [collection.id, batch.id, 'a', 'install packages with apt', [1, 0, 0, 0]],
        [collection.id, batch.id, 'b', 'configure the network', [0, 1, 0, 0]],
        [other.id, otherBatch.id, 'c', 'install packages elsewhere', [1, 0, 0, 0]],
      ] as const) {
        const { document } = await store.registerDocument({ collectionId: c, batchId: b, source, sha256: source, sizeBytes: 1 });
        await store.claim(document.id, `att_${source}`);
        await store.complete(document.id, `att_${source}`, 'text/plain', [chunk(0, text, [...vector])]);
      }
      const byVector = await store.searchVector(collection.id, new Float32Array([0.9, 0.1, 0, 0]), 2);
      expect(byVector.map((h) => h.source)).toEqual(['a', 'b']);
      expect(byVector[0]!.score).toBeGreaterThan(byVector[1]!.score);
      const byText = await store.searchText(collection.id, 'Install: "packages" OR (', 5);
      expect(byText.map((h) => h.source)).toEqual(['a']);
      expect(await store.searchText(collection.id, '  ', 5)).toEqual([]);
      await store.close();
    });

    it('ranks chunks holding every term of a text query first, then fills with chunks holding any', async () => {
      const { store, collection, batch } = await setup();
      const texts = {
        only: 'network network network, the network again',
        both: 'install the drivers, then restart the network service and check the logs once more',
        other: 'install packages with apt',
        none: 'configure the printer',
      };
      for (const [source, text] of Object.entries(texts)) {
        const { document } = await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source, sha256: source, sizeBytes: 1 });
        await store.claim(document.id, `att_${source}`);
        await store.complete(document.id, `att_${source}`, 'text/plain', [chunk(0, text, [1, 0, 0, 0])]);
      }
      expect((await store.searchText(collection.id, 'install network', 1)).map((h) => h.source)).toEqual(['both']);
      const filled = (await store.searchText(collection.id, 'install network', 5)).map((h) => h.source);
      expect(filled[0]).toBe('both');
      expect(filled.slice(1).sort()).toEqual(['only', 'other']);
      expect((await store.searchText(collection.id, 'printer network', 5)).map((h) => h.source).sort()).toEqual(['both', 'none', 'only']);
      await store.close();
    });

    it('tracks retries, failures, cancels, requeues and batch progress', async () => {
      const { store, collection, batch } = await setup();
      const reg = (source: string) => store.registerDocument({ collectionId: collection.id, batchId: batch.id, source, sha256: source, sizeBytes: 1 });
      const a = (await reg('a')).document;
      const b = (await reg('b')).document;
      const c = (await reg('c')).document;
      await store.claim(a.id, 'x');
      expect(await store.scheduleRetry(a.id, 'x', 'embedder_failed', 'down', new Date(Date.now() + 5000))).toBe(true);
      expect(await store.getDocument(a.id)).toMatchObject({ state: 'queued', errorCode: 'embedder_failed' });
      await store.claim(a.id, 'y');
      expect(await store.fail(a.id, 'y', 'corrupt_file', 'bad')).toBe(true);
      expect(await store.cancel(b.id)).toMatchObject({ state: 'cancelled' });
      expect(await store.cancel(b.id)).toBeUndefined();
      expect((await store.listUnfinished()).map((d) => d.id)).toEqual([c.id]);
      const progress = await store.getBatchProgress(batch.id);
      expect(progress).toMatchObject({ filesTotal: 3, filesDone: 2, finished: false, byState: { failed: 1, cancelled: 1, queued: 1 } });
      const requeued = await store.requeue({ state: 'failed', batchId: batch.id });
      expect(requeued.map((d) => d.id)).toEqual([a.id]);
      expect(await store.getDocument(a.id)).toMatchObject({ state: 'queued', attempts: 0, errorCode: null });
      const rejected = await store.recordRejected({ collectionId: collection.id, batchId: batch.id, source: 'huge', sizeBytes: 9, code: 'file_too_large', message: 'too big' });
      expect(rejected).toMatchObject({ state: 'failed', errorCode: 'file_too_large' });
      const page1 = await store.listDocuments({ batchId: batch.id, limit: 2 });
      const page2 = await store.listDocuments({ batchId: batch.id, limit: 2, after: page1[1]!.id });
      expect([...page1, ...page2].map((d) => d.id)).toEqual([a.id, b.id, c.id, rejected.id]);
      await store.close();
    });

    it('keeps an ordered event log, the embedding cache, worker heartbeats and idempotent answers', async () => {
      const { store, tenant } = await setup();
      const at = new Date().toISOString();
      const appended = [];
      for (const [batchId, documentId] of [['b1', 'd1'], ['b2', 'd2'], ['b1', 'd3']] as const) {
        appended.push(await store.appendEvent({ type: 'document.state', batchId, documentId, state: 'queued', attempt: 0, at }));
      }
      expect(appended[1]!.seq).toBeGreaterThan(appended[0]!.seq);
      const ofBatch = await store.listEvents({ batchId: 'b1', afterSeq: 0, limit: 10 });
      expect(ofBatch.map((e) => e.documentId)).toEqual(['d1', 'd3']);
      expect(await store.listEvents({ batchId: 'b1', afterSeq: ofBatch[0]!.seq, limit: 10 })).toEqual([ofBatch[1]]);
      expect((await store.listEvents({ documentId: 'd2', afterSeq: 0, limit: 10 }))[0]).toMatchObject({ state: 'queued', batchId: 'b2' });

      await store.putCachedEmbeddings('m', 2, [{ textHash: 'h1', vector: new Float32Array([0.5, -1]) }]);
      await store.putCachedEmbeddings('m', 2, [{ textHash: 'h1', vector: new Float32Array([9, 9]) }]);
      const cached = await store.getCachedEmbeddings('m', 2, ['h1', 'h2']);
      expect([...cached.keys()]).toEqual(['h1']);
      expect([...cached.get('h1')!]).toEqual([0.5, -1]);
      expect((await store.getCachedEmbeddings('m', 3, ['h1'])).size).toBe(0);

      const now = Date.now();
      await store.recordWorkerHeartbeat({ id: 'w1', host: 'h', pid: 1, startedAt: new Date(now).toISOString(), lastSeenAt: new Date(now).toISOString() });
      await store.recordWorkerHeartbeat({ id: 'w2', host: 'h', pid: 2, startedAt: new Date(now).toISOString(), lastSeenAt: new Date(now - 60_000).toISOString() });
      expect((await store.listLiveWorkers(15_000)).map((w) => w.id)).toEqual(['w1']);
      await store.removeWorker('w1');
      expect(await store.listLiveWorkers(15_000)).toEqual([]);

      expect(await store.putIdempotentResponse(tenant.id, 'k', 'fp-1', 202, '{"a":1}')).toBe(true);
      expect(await store.putIdempotentResponse(tenant.id, 'k', 'fp-2', 500, 'other')).toBe(false);
      expect(await store.getIdempotentResponse(tenant.id, 'k')).toEqual({ status: 202, body: '{"a":1}', fingerprint: 'fp-1' });
      await store.close();
    });

    it('keeps the fingerprint of the request an idempotent answer was first given to, per tenant and key', async () => {
      const { store, tenant } = await setup();
      const other = await store.ensureTenant('t2');
      expect(await store.getIdempotentResponse(tenant.id, 'POST /x k')).toBeUndefined();
      expect(await store.putIdempotentResponse(tenant.id, 'POST /x k', 'sha256:aa', 202, '{"n":1}')).toBe(true);
      // The same key of another tenant, or for another target, is another record.
      expect(await store.putIdempotentResponse(other.id, 'POST /x k', 'sha256:bb', 202, '{"n":2}')).toBe(true);
      expect(await store.putIdempotentResponse(tenant.id, 'POST /y k', '', 201, '{"n":3}')).toBe(true);
      // First writer wins: a second answer, with another fingerprint, changes nothing.
      expect(await store.putIdempotentResponse(tenant.id, 'POST /x k', 'sha256:cc', 500, 'late')).toBe(false);
      expect(await store.getIdempotentResponse(tenant.id, 'POST /x k')).toEqual({ status: 202, body: '{"n":1}', fingerprint: 'sha256:aa' });
      expect(await store.getIdempotentResponse(other.id, 'POST /x k')).toEqual({ status: 202, body: '{"n":2}', fingerprint: 'sha256:bb' });
      expect(await store.getIdempotentResponse(tenant.id, 'POST /y k')).toEqual({ status: 201, body: '{"n":3}', fingerprint: '' });
      await store.close();
    });

    it('keeps API keys with a name and an expiry, finds only live ones, records use and revokes idempotently', async () => {
      const { store, tenant } = await setup();
      const other = await store.ensureTenant('t2');
      const before = Date.now();
      const inAnHour = new Date(before + 3_600_000).toISOString();
      const named = await store.createApiKey({ tenantId: tenant.id, keyHash: 'hash-named', prefix: 'AbCd1234', admin: false, name: 'ci', expiresAt: inAnHour });
      expect(named).toEqual({
        id: expect.stringMatching(/^key_/),
        tenantId: tenant.id,
        admin: false,
        prefix: 'AbCd1234',
        name: 'ci',
        createdAt: expect.any(String),
        lastUsedAt: null,
        expiresAt: inAnHour,
        revokedAt: null,
      });
      expect(Date.parse(named.createdAt)).toBeGreaterThanOrEqual(before - 1000);
      const plain = await store.createApiKey({ tenantId: tenant.id, keyHash: 'hash-plain', prefix: 'Plain000', admin: true });
      expect(plain).toMatchObject({ admin: true, name: null, expiresAt: null });
      const expired = await store.createApiKey({
        tenantId: tenant.id,
        keyHash: 'hash-expired',
        prefix: 'Old00000',
        admin: false,
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      });
      const theirs = await store.createApiKey({ tenantId: other.id, keyHash: 'hash-theirs', prefix: 'Them0000', admin: false });

      expect(await store.findApiKey('hash-named')).toEqual(named);
      expect(await store.findApiKey('hash-plain')).toEqual(plain);
      expect(await store.findApiKey('hash-expired')).toBeUndefined();
      expect(await store.findApiKey('hash-unknown')).toBeUndefined();
      expect(await store.getApiKey(expired.id)).toEqual(expired);
      expect(await store.getApiKey('key_unknown')).toBeUndefined();

      const mine = await store.listApiKeys(tenant.id);
      expect(mine.map((k) => k.id)).toEqual([named.id, plain.id, expired.id]);
      expect(JSON.stringify(mine)).not.toMatch(/hash-/);
      expect((await store.listApiKeys()).map((k) => k.id)).toEqual([named.id, plain.id, expired.id, theirs.id]);
      expect(await store.listApiKeys('ten_unknown')).toEqual([]);

      await store.recordApiKeyUse(named.id);
      const used = await store.getApiKey(named.id);
      expect(Date.parse(used?.lastUsedAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
      await store.recordApiKeyUse(named.id);
      expect(Date.parse((await store.getApiKey(named.id))?.lastUsedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(used?.lastUsedAt ?? ''));

      const revoked = await store.revokeApiKey(named.id);
      expect(revoked).toMatchObject({ kind: 'revoked', key: { id: named.id, revokedAt: expect.any(String) } });
      expect(await store.findApiKey('hash-named')).toBeUndefined();
      // Idempotent: a second revocation changes nothing and tells when the first one was.
      expect(await store.revokeApiKey(named.id)).toEqual({ kind: 'already_revoked', key: revoked?.key });
      expect(await store.getApiKey(named.id)).toEqual(revoked?.key);
      expect(await store.revokeApiKey('key_unknown')).toBeUndefined();
      // Nothing else moved.
      expect(await store.findApiKey('hash-theirs')).toEqual(theirs);
      expect(await store.countApiKeys()).toBe(4);
      await store.close();
    });

    it('refuses to revoke the last active admin key when asked to keep one, even under concurrent revocations', async () => {
      const { store, tenant } = await setup();
      const create = (hash: string, admin: boolean, expiresAt: string | null = null) =>
        store.createApiKey({ tenantId: tenant.id, keyHash: hash, prefix: hash.slice(0, 8), admin, expiresAt });
      const first = await create('admin-1', true);
      const second = await create('admin-2', true);
      const stale = await create('admin-expired', true, new Date(Date.now() - 1000).toISOString());
      const plain = await create('plain-1', false);

      expect((await store.revokeApiKey(first.id, { keepAnAdmin: true }))?.kind).toBe('revoked');
      expect(await store.revokeApiKey(second.id, { keepAnAdmin: true })).toEqual({ kind: 'last_admin', key: second });
      expect(await store.findApiKey('admin-2')).toEqual(second);
      // An expired admin key is no one's way in: revoking it is always allowed, and so is a tenant's key.
      expect((await store.revokeApiKey(stale.id, { keepAnAdmin: true }))?.kind).toBe('revoked');
      expect((await store.revokeApiKey(plain.id, { keepAnAdmin: true }))?.kind).toBe('revoked');
      // Without the guard (the CLI's --force) the last one goes too.
      expect((await store.revokeApiKey(second.id))?.kind).toBe('revoked');

      const a = await create('admin-a', true);
      const b = await create('admin-b', true);
      const outcomes = await Promise.all([a, b].map((k) => store.revokeApiKey(k.id, { keepAnAdmin: true })));
      expect(outcomes.map((o) => o?.kind).sort()).toEqual(['last_admin', 'revoked']);
      expect((await Promise.all([store.findApiKey('admin-a'), store.findApiKey('admin-b')])).filter(Boolean)).toHaveLength(1);
      await store.close();
    });

    it('dispatches the largest files of a batch first, equal sizes in the order they came', async () => {
      const { store, collection, batch, tenant } = await setup();
      const register = async (name: string, sizeBytes: number) =>
        (await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source: name, sha256: name, sizeBytes })).document.id;
      const ids = [await register('small', 5), await register('large-a', 50), await register('middle', 20), await register('large-b', 50)];
      const [small, largeA, middle, largeB] = ids;
      expect((await store.dispatch(tenant.id, { maxInFlight: 2 })).map((d) => d.documentId)).toEqual([largeA, largeB]);
      // Waiting beyond the share: the middle one is next, the small one after it.
      expect(await store.queuePosition(middle!)).toBe(1);
      expect(await store.queuePosition(small!)).toBe(2);
      await store.close();
    });

    it('dispatches a tenant fairly: within its share, by priority, then in turns across its batches', async () => {
      const { store, collection, batch, tenant } = await setup();
      const other = await store.createBatch(collection.id, 'small');
      const register = async (batchId: string, name: string, priority = 0) =>
        (await store.registerDocument({ collectionId: collection.id, batchId, source: name, sha256: name, sizeBytes: 10, priority })).document.id;
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
      await store.registerDocument({ collectionId: theirs.id, batchId: theirBatch.id, source: 'r', sha256: 'r', sizeBytes: 1 });
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

      // What the tenant holds, for quotas: failed, cancelled and skipped documents hold nothing.
      await store.cancel(big[5]!);
      expect(await store.getTenantUsage(tenant.id)).toEqual({ documents: 9, bytes: 90, chunks: 0 });
      expect(await store.getTenantUsage(rival.id)).toEqual({ documents: 1, bytes: 1, chunks: 0 });
      expect((await store.setTenantLimits(rival.id, { maxInFlight: 2, maxDocuments: 10, maxBytes: null, maxChunks: 0 }))?.limits).toEqual({
        maxInFlight: 2,
        maxDocuments: 10,
        maxBytes: null,
        maxChunks: 0,
      });
      expect((await store.getTenant(rival.id))?.limits.maxInFlight).toBe(2);
      await store.close();
    });

    it('tells what queued documents wait for, and which worker runs what', async () => {
      const { store, collection, batch, tenant } = await setup();
      const register = async (name: string) =>
        (await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source: name, sha256: name, sizeBytes: 1 })).document.id;
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
      expect((await store.listRunning()).map((doc) => [doc.id, doc.state, doc.workerId])).toEqual([[a, 'parsing', 'wrk_1']]);
      // Places in line: c is next for a worker, d next for the tenant's share, then a newcomer after it.
      const e = await register('e');
      expect(await Promise.all([a, b, c, d, e].map((id) => store.queuePosition(id)))).toEqual([undefined, undefined, 1, 1, 2]);
      await store.close();
    });
  });
}
