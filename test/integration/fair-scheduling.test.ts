import { afterEach, describe, expect, it } from 'vitest';
import { client, form, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const files = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${String(i).padStart(4, '0')}.md`,
    content: `# ${prefix} ${i}\n\n${`Paragraph ${i} of ${prefix} about fair scheduling across tenants. `.repeat(30)}`,
  }));

async function collection(call: ReturnType<typeof client>, name: string): Promise<string> {
  const created = await call('POST', '/v1/collections', { name });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

describe('fair scheduling and quotas (embedded)', () => {
  it("one tenant's large upload does not hold back another tenant's small one", async () => {
    server = await startTestServer({ concurrency: 2, tenantMaxInFlight: 8 });
    const a = client(server.url, server.adminKey);
    const b = client(server.url, await server.tenantKey('b'));
    const big = await a('POST', `/v1/collections/${await collection(a, 'big')}/documents`, form(files('a', 300)));
    expect(big.status).toBe(202);
    // The answer tells the files handed to the queue within A's share from those that wait for it.
    const answered = (big.body.documents as { waiting_for: string | null }[]).map((d) => d.waiting_for ?? 'running');
    expect(answered.filter((w) => w === 'tenant_share').length).toBeGreaterThan(200);
    expect(answered.filter((w) => w !== 'tenant_share').length).toBeGreaterThan(0);
    // The last of A's files in line (the smallest, since a batch goes largest first; of equal sizes the
    // latest) waits for A's share of the workers, and says so.
    const byLine = [...(big.body.documents as { id: string; size_bytes: number }[]).entries()].sort(
      ([i, x], [j, y]) => y.size_bytes - x.size_bytes || i - j,
    );
    const last = byLine.at(-1)![1].id;
    const lastView = (await a('GET', `/v1/documents/${last}`)).body;
    expect(lastView).toMatchObject({ state: 'queued', waiting_for: 'tenant_share' });
    // Hundreds of A's files are ahead of it in line; B's file, just uploaded, is near the front.
    expect(lastView.queue_position).toBeGreaterThan(200);
    const small = await b('POST', `/v1/collections/${await collection(b, 'small')}/documents`, form(files('b', 1)));
    expect(small.status).toBe(202);
    const bDoc = small.body.documents[0].id as string;
    const bView = (await b('GET', `/v1/documents/${bDoc}`)).body;
    if (bView.state === 'queued') {
      expect(bView).toMatchObject({ waiting_for: 'worker' });
      expect(bView.queue_position).toBeLessThanOrEqual(2);
    }
    await expect
      .poll(async () => (await b('GET', `/v1/documents/${bDoc}`)).body.state, { timeout: 30_000, interval: 50 })
      .toBe('completed');

    // B's file finished while A's were still going, ahead of all but A's first few.
    const finishedOfA = (
      await server.app.store.listDocuments({ batchId: big.body.batch.id, state: 'completed', limit: 1000 })
    )
      .map((d) => d.completedAt as string)
      .sort();
    const bCompletedAt = (await server.app.store.getDocument(bDoc))!.completedAt as string;
    const aheadOfB = finishedOfA.filter((at) => at < bCompletedAt).length;
    console.log(`fair scheduling (embedded): ${aheadOfB} of A's 300 completed before B's one`);
    expect(aheadOfB).toBeLessThan(30);
    // The queue held no more of A's documents than its share; the rest waited in the ledger.
    const waiting = await server.app.store.listDocuments({ batchId: big.body.batch.id, state: 'queued', limit: 1000 });
    expect(waiting.filter((d) => d.dispatchedAt !== null).length).toBeLessThanOrEqual(8);
    expect(waiting.some((d) => d.dispatchedAt === null)).toBe(true);
    expect((await server.app.queue.stats()).waiting).toBeLessThanOrEqual(8);

    // Status, asked of the process that runs the workers, counts its own worker as live.
    const status = (await a('GET', '/v1/status')).body;
    expect(status.workers).toHaveLength(1);
    expect(status.stalled).toEqual([]);

    // And A's 300 all complete in the end.
    await server.app.queue.idle();
    await expect
      .poll(async () => (await a('GET', `/v1/batches/${big.body.batch.id}`)).body.counts, {
        timeout: 60_000,
        interval: 200,
      })
      .toEqual({ completed: 300 });
  });

  it('refuses an upload that would pass a quota before answering 202, and records nothing of it', async () => {
    server = await startTestServer({ tenantMaxDocuments: 0 });
    const admin = client(server.url, server.adminKey);
    const created = await admin('POST', '/v1/tenants', { name: 'quota' });
    const tenantId = created.body.tenant.id as string;
    const call = client(server.url, created.body.key.api_key as string);
    const id = await collection(call, 'docs');

    // Only admins set limits; the tenant sees its own.
    expect((await call('PATCH', `/v1/tenants/${tenantId}/limits`, { max_documents: 3 })).status).toBe(403);
    const set = await admin('PATCH', `/v1/tenants/${tenantId}/limits`, { max_documents: 3, max_bytes: 100_000 });
    expect(set.status).toBe(200);
    expect(set.body.limits).toEqual({ max_in_flight: null, max_documents: 3, max_bytes: 100_000, max_chunks: null });

    const tooMany = await call('POST', `/v1/collections/${id}/documents`, form(files('q', 4)));
    expect(tooMany.status).toBe(403);
    expect(tooMany.body).toMatchObject({ code: 'quota_exceeded' });
    expect(tooMany.body.detail).toMatch(/may hold 3 documents; it holds 0 and this request adds 4/);
    expect((await call('GET', '/v1/batches')).body.batches).toHaveLength(0);

    const fits = await call('POST', `/v1/collections/${id}/documents`, form(files('q', 3)));
    expect(fits.status).toBe(202);
    const more = await call('POST', `/v1/collections/${id}/documents`, form(files('r', 1)));
    expect(more.status).toBe(403);

    // Bytes count too; a failed document frees its place.
    const huge = await admin('PATCH', `/v1/tenants/${tenantId}/limits`, { max_documents: null, max_bytes: 10 });
    expect(huge.body.limits.max_documents).toBeNull();
    const bytes = await call('POST', `/v1/collections/${id}/documents`, form(files('s', 1)));
    expect(bytes.status).toBe(403);
    expect(bytes.body.detail).toMatch(/bytes/);
    const own = await call('GET', `/v1/tenants/${tenantId}`);
    expect(own.status).toBe(200);
    expect(own.body.usage.documents).toBe(3);
    expect((await call('GET', `/v1/tenants/${(await server.app.defaultTenant()).id}`)).status).toBe(404);
  });
});
