import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, form, startTestServer, type TestServer } from '../helpers/test-server.js';

describe('stats over the API, and uploads that wait for their answer', () => {
  let t: TestServer;
  let admin: ReturnType<typeof client>;
  let tenant: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await startTestServer({ concurrency: 2 });
    admin = client(t.url, t.adminKey);
    tenant = client(t.url, await t.tenantKey('acme'));
  });
  afterAll(() => t.close());

  it('answers 200 with the final states when a small batch finishes within ?wait, 202 at once without it', async () => {
    const { id } = (await tenant('POST', '/v1/collections', { name: 'notes' })).body;
    const waited = await tenant(
      'POST',
      `/v1/collections/${id}/documents?wait=30`,
      form([
        { name: 'a.txt', content: 'The first note is about queues and retries.' },
        { name: 'broken.pdf', content: '%PDF-1.7 nothing else' },
      ]),
    );
    expect(waited.status).toBe(200);
    expect(waited.body.batch).toMatchObject({ finished: true, progress: { files_total: 2, files_done: 2 } });
    expect(waited.body.documents.map((d: { state: string }) => d.state).sort()).toEqual(['completed', 'failed']);
    expect(waited.headers.get('location')).toBe(`/v1/batches/${waited.body.batch.id}`);

    const quick = await tenant('POST', `/v1/collections/${id}/documents`, form([{ name: 'b.txt', content: 'b' }]));
    expect(quick.status).toBe(202);
  });

  it('answers 202 when the batch is not done within ?wait, and refuses a negative wait', async () => {
    // A server without workers: nothing can finish while the request waits.
    const idle = await startTestServer({ workers: false });
    try {
      const api = client(idle.url, idle.adminKey);
      const { id } = (await api('POST', '/v1/collections', { name: 'slow' })).body;
      const started = Date.now();
      const answer = await api(
        'POST',
        `/v1/collections/${id}/documents?wait=0.5`,
        form([{ name: 'c.txt', content: 'waits in the queue' }]),
      );
      expect(answer.status).toBe(202);
      expect(answer.body.batch.finished).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(Date.now() - started).toBeLessThan(5_000);
      // The same file again: its document is already on its way in the first batch, and this batch
      // holds no document of its own; it is not finished until that one is.
      const again = await api(
        'POST',
        `/v1/collections/${id}/documents?wait=0.5`,
        form([{ name: 'c.txt', content: 'waits in the queue' }]),
      );
      expect(again.status).toBe(202);
      expect(again.body.documents[0].state).toBe('queued');
      const negative = await api(
        'POST',
        `/v1/collections/${id}/documents?wait=-1`,
        form([{ name: 'd.txt', content: 'd' }]),
      );
      expect(negative.status).toBe(400);
    } finally {
      await idle.close();
    }
  });

  it("shows a tenant its own stats only, and every tenant's to admin keys", async () => {
    const mine = await tenant('GET', '/v1/stats');
    expect(mine.status).toBe(200);
    expect(mine.body.failures_by_code).toEqual({ corrupt_file: 1 });
    expect(mine.body.documents_by_state.completed).toBeGreaterThanOrEqual(1);
    expect(mine.body.chunks).toBeGreaterThanOrEqual(1);
    expect(mine.body.throughput.last_hour.documents).toBeGreaterThanOrEqual(1);
    expect(mine.body.throughput.last_24_hours.documents).toBeGreaterThanOrEqual(
      mine.body.throughput.last_hour.documents,
    );
    expect(mine.body.collections.map((c: { name: string }) => c.name)).toEqual(['notes']);
    const perMinute = mine.body.throughput_per_minute as { minute: string; documents: number }[];
    expect(perMinute.reduce((n, m) => n + m.documents, 0)).toBe(mine.body.throughput.last_hour.documents);
    expect(mine.body.collections.find((c: { name: string }) => c.name === 'notes').stored_bytes).toBeGreaterThan(0);

    // The admin's own tenant holds nothing: it sees none of acme's.
    const own = await admin('GET', '/v1/stats');
    expect(own.body.collections).toEqual([]);
    expect(own.body.documents_by_state).toEqual({});

    expect((await tenant('GET', '/v1/admin/stats')).status).toBe(403);
    const all = await admin('GET', '/v1/admin/stats');
    expect(all.status).toBe(200);
    expect(all.body.tenants.map((x: { name: string }) => x.name)).toEqual(['acme']);
    expect(all.body.failures_by_code).toEqual({ corrupt_file: 1 });
    expect(all.body.queue).toMatchObject({ waiting: expect.any(Number), active: expect.any(Number) });

    const spec = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/stats', '/v1/admin/stats']));
  });
});
