import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createApp } from '../../src/app/create-app.js';
import { readSse } from '../helpers/sse.js';
import { client, form, startTestServer, type TestServer } from '../helpers/test-server.js';

const text = (i: number, words = 300) =>
  `# File ${i}\n\n${Array.from({ length: words }, (_, j) => `word${(i * 7 + j) % 97}`).join(' ')} unique${i}.`;

describe('HTTP API over real HTTP', () => {
  let t: TestServer;
  let api: ReturnType<typeof client>;
  let collectionId: string;

  beforeAll(async () => {
    t = await startTestServer({
      concurrency: 2,
      maxUploadFiles: 60,
      maxFileBytes: 200_000,
      maxRequestBytes: 2_000_000,
    });
    api = client(t.url, t.adminKey);
    const created = await api('POST', '/v1/collections', { name: 'docs' });
    expect(created.status).toBe(201);
    collectionId = created.body.id;
  });
  afterAll(() => t.close());

  it('accepts 50 files in one request with 202 and streams the batch to completion over SSE', async () => {
    const files = Array.from({ length: 50 }, (_, i) => ({ name: `file-${i}.md`, content: text(i) }));
    const started = Date.now();
    const upload = await api('POST', `/v1/collections/${collectionId}/documents`, form(files));
    expect(upload.status).toBe(202);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(upload.headers.get('location')).toBe(`/v1/batches/${upload.body.batch.id}`);
    expect(upload.body.documents).toHaveLength(50);
    const batchId: string = upload.body.batch.id;

    const { messages, contentType } = await readSse(`${t.url}/v1/batches/${batchId}/events`, {
      authorization: `Bearer ${t.adminKey}`,
    });
    expect(contentType).toMatch(/text\/event-stream/);
    const final = messages[messages.length - 1]!;
    expect(final.event).toBe('batch.finished');
    expect(JSON.parse(final.data)).toMatchObject({
      finished: true,
      progress: { files_total: 50, files_done: 50 },
      counts: { completed: 50 },
    });
    const ids = messages.filter((m) => m.id).map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const states = messages
      .filter((m) => m.event === 'document.state')
      .map((m) => JSON.parse(m.data) as { documentId: string; state: string });
    for (const doc of upload.body.documents as { id: string }[]) {
      const mine = states.filter((s) => s.documentId === doc.id).map((s) => s.state);
      expect(mine[0]).toBe('queued');
      expect(mine.at(-1)).toBe('completed');
      expect(mine).toEqual(expect.arrayContaining(['parsing', 'chunking', 'embedding', 'indexing']));
    }
    expect(messages.some((m) => m.event === 'document.progress')).toBe(true);

    const batch = await api('GET', `/v1/batches/${batchId}`);
    expect(batch.body).toMatchObject({ finished: true, progress: { percent: 100 } });
    const etag = batch.headers.get('etag')!;
    const again = await fetch(`${t.url}/v1/batches/${batchId}`, {
      headers: { authorization: `Bearer ${t.adminKey}`, 'if-none-match': etag },
    });
    expect(again.status).toBe(304);

    const doc = await api('GET', `/v1/documents/${upload.body.documents[3].id}`);
    expect(doc.body).toMatchObject({
      state: 'completed',
      source: 'file-3.md',
      media_type: 'text/markdown',
      attempts: 1,
      error: null,
    });
    expect(doc.body.progress.chunks_total).toBeGreaterThan(0);

    const query = await api('POST', `/v1/collections/${collectionId}/query`, {
      query: 'unique7',
      top_k: 3,
      mode: 'text',
    });
    expect(query.status).toBe(200);
    expect(query.body.hits[0]).toMatchObject({
      source: 'file-7.md',
      document_id: upload.body.documents[7].id,
      index: expect.any(Number),
      char_start: expect.any(Number),
    });
    const top = query.body.hits[0] as { snippet: string; snippet_highlights: { start: number; end: number }[] };
    expect(top.snippet_highlights.map(({ start, end }) => top.snippet.slice(start, end))).toEqual(['unique7']);
    for (const mode of ['hybrid', 'vector']) {
      const r = await api('POST', `/v1/collections/${collectionId}/query`, { query: 'unique7 word3', top_k: 5, mode });
      expect(r.body.hits.length).toBeGreaterThan(0);
    }
    const filtered = await api('POST', `/v1/collections/${collectionId}/query`, {
      query: 'word3',
      top_k: 5,
      filter: { source_prefix: 'file-1' },
    });
    expect(filtered.body.hits.every((h: { source: string }) => h.source.startsWith('file-1'))).toBe(true);

    const page1 = await api('GET', `/v1/documents?collection=${collectionId}&state=completed&limit=20`);
    const page2 = await api(
      'GET',
      `/v1/documents?collection=${collectionId}&state=completed&limit=20&cursor=${page1.body.next_cursor}`,
    );
    expect(page1.body.documents).toHaveLength(20);
    expect(page2.body.documents[0].id > page1.body.documents[19].id).toBe(true);
  });

  it('resumes an SSE stream with Last-Event-ID without losing or repeating an event', async () => {
    const files = Array.from({ length: 12 }, (_, i) => ({ name: `resume-${i}.md`, content: text(100 + i, 800) }));
    const upload = await api('POST', `/v1/collections/${collectionId}/documents`, form(files));
    const url = `${t.url}/v1/batches/${upload.body.batch.id}/events`;
    const auth = { authorization: `Bearer ${t.adminKey}` };
    const first = await readSse(url, auth, (_m, all) => all.length >= 7);
    const lastId = first.messages.filter((m) => m.id).at(-1)!.id!;
    const rest = await readSse(url, { ...auth, 'last-event-id': lastId });
    expect(rest.messages.at(-1)!.event).toBe('batch.finished');
    const full = await readSse(url, auth);
    const ids = (ms: { id?: string }[]) => ms.filter((m) => m.id).map((m) => m.id);
    expect([...ids(first.messages), ...ids(rest.messages)]).toEqual(ids(full.messages));
    expect(ids(full.messages).length).toBeGreaterThan(12 * 6);
  });

  it('answers a retried upload with the same Idempotency-Key with the first answer', async () => {
    const files = [{ name: 'idem.md', content: text(500) }];
    const headers = { 'idempotency-key': 'upload-42' };
    const first = await api('POST', `/v1/collections/${collectionId}/documents`, form(files), headers);
    const second = await api('POST', `/v1/collections/${collectionId}/documents`, form(files), headers);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.batch.id).toBe(first.body.batch.id);
    expect(second.headers.get('idempotency-replayed')).toBe('true');
    const batches = await api('GET', '/v1/batches?limit=200');
    expect(batches.body.batches.filter((b: { id: string }) => b.id === first.body.batch.id)).toHaveLength(1);
  });

  it('cancels documents mid-run, retries and deletes them', async () => {
    const files = Array.from({ length: 20 }, (_, i) => ({ name: `cancel-${i}.txt`, content: text(1000 + i, 3000) }));
    const upload = await api('POST', `/v1/collections/${collectionId}/documents`, form(files));
    const last = upload.body.documents[19].id;
    const cancel = await api('POST', `/v1/documents/${last}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.state).toBe('cancelled');
    const done = await readSse(`${t.url}/v1/batches/${upload.body.batch.id}/events`, {
      authorization: `Bearer ${t.adminKey}`,
    });
    expect(JSON.parse(done.messages.at(-1)!.data)).toMatchObject({ counts: { completed: 19, cancelled: 1 } });
    const notFound = await api('POST', `/v1/collections/${collectionId}/query`, { query: 'unique1019', mode: 'text' });
    expect(notFound.body.hits).toEqual([]);

    const retry = await api('POST', `/v1/documents/${last}/retry`);
    expect(retry.status).toBe(202);
    const finished = await readSse(`${t.url}/v1/documents/${last}/events`, { authorization: `Bearer ${t.adminKey}` });
    expect(JSON.parse(finished.messages.at(-1)!.data)).toMatchObject({ state: 'completed' });
    const found = await api('POST', `/v1/collections/${collectionId}/query`, { query: 'unique1019', mode: 'text' });
    expect(found.body.hits[0].document_id).toBe(last);

    expect((await api('DELETE', `/v1/documents/${last}`)).status).toBe(204);
    expect((await api('GET', `/v1/documents/${last}`)).status).toBe(404);
    const gone = await api('POST', `/v1/collections/${collectionId}/query`, { query: 'unique1019', mode: 'text' });
    expect(gone.body.hits).toEqual([]);
  });

  it('answers an upload refused before its body is read, and reads and drops a small body so the connection lives on', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (path: string, body: Buffer) =>
      new Promise<{ status: number; connection: string | undefined; reused: boolean }>((resolve, reject) => {
        const req = httpRequest(
          `${t.url}${path}`,
          {
            method: 'POST',
            agent,
            headers: {
              authorization: `Bearer ${t.adminKey}`,
              'content-type': 'multipart/form-data; boundary=x',
              'content-length': body.length,
            },
          },
          (res) => {
            res.resume();
            // Done once the answer is in and the body is out: then the socket goes back to the agent.
            const answered = new Promise((ended) => res.on('end', ended));
            const sent = new Promise((finished) => req.on('finish', finished));
            void Promise.all([answered, sent])
              .then(() => new Promise((pause) => setTimeout(pause, 50)))
              .then(() =>
                resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, reused: req.reusedSocket }),
              );
          },
        );
        req.on('error', reject);
        // The body goes out slowly, after the answer may have come: as a large upload would.
        req.write(body.subarray(0, 10));
        setTimeout(() => req.end(body.subarray(10)), 100);
      });
    const body = Buffer.from(
      `--x\r\ncontent-disposition: form-data; name="file"; filename="a.txt"\r\n\r\n${'a'.repeat(50_000)}\r\n--x--\r\n`,
    );
    const first = await send('/v1/collections/col_missing/documents', body);
    expect(first.status).toBe(404);
    expect(first.connection).not.toBe('close');
    const second = await send('/v1/collections/col_missing/documents?wait=-1', body);
    expect(second.status).toBe(400);
    expect(second.reused).toBe(true);
    agent.destroy();
  });

  it("keeps tenants apart: every route answers 404 for another tenant's ids", async () => {
    const upload = await api(
      'POST',
      `/v1/collections/${collectionId}/documents`,
      form([{ name: 'secret.md', content: 'top secret words' }]),
    );
    const docId = upload.body.documents[0].id;
    const batchId = upload.body.batch.id;
    const other = client(t.url, await t.tenantKey('other-tenant'));
    const attempts: [string, string, unknown?][] = [
      ['GET', `/v1/collections/${collectionId}`],
      ['DELETE', `/v1/collections/${collectionId}`],
      ['POST', `/v1/collections/${collectionId}/query`, { query: 'secret' }],
      ['GET', `/v1/batches/${batchId}`],
      ['GET', `/v1/batches/${batchId}/events`],
      ['POST', `/v1/batches/${batchId}/retry-failed`],
      ['GET', `/v1/documents/${docId}`],
      ['GET', `/v1/documents/${docId}/events`],
      ['GET', `/v1/documents/${docId}/chunks`],
      ['POST', `/v1/documents/${docId}/cancel`],
      ['POST', `/v1/documents/${docId}/retry`],
      ['DELETE', `/v1/documents/${docId}`],
      ['GET', `/v1/documents?collection=${collectionId}`],
    ];
    for (const [method, path, body] of attempts) {
      const r = await other(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(r.body.code).toBe('not_found');
    }
    const theirUpload = await other(
      'POST',
      `/v1/collections/${collectionId}/documents`,
      form([{ name: 'x.md', content: 'x' }]),
    );
    expect(theirUpload.status).toBe(404);
    expect((await other('GET', '/v1/collections')).body.collections).toEqual([]);
    expect((await other('GET', '/v1/batches')).body.batches).toEqual([]);
    expect((await other('GET', '/v1/documents')).body.documents).toEqual([]);
    expect((await api('GET', `/v1/documents/${docId}`)).status).toBe(200);
    // The same collection name in another tenant is its own collection.
    const theirs = await other('POST', '/v1/collections', { name: 'docs' });
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(collectionId);
    expect((await other('POST', '/v1/tenants', { name: 'x' })).status).toBe(403);
  });

  it('refuses requests without a key, and bad uploads with clear problems, and stays up', async () => {
    const anonymous = await fetch(`${t.url}/v1/collections`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'unauthorized', status: 401 });

    // A query of no word at all would return arbitrary chunks in every mode: it is refused.
    for (const [query, mode] of [
      ['  ', 'hybrid'],
      ['?!', 'vector'],
      ['"" && () -', 'text'],
    ]) {
      const blank = await api('POST', `/v1/collections/${collectionId}/query`, { query, mode });
      expect(blank.status, JSON.stringify([query, blank.body])).toBe(400);
      expect(blank.body.code).toBe('invalid_input');
    }

    const tooMany = await api(
      'POST',
      `/v1/collections/${collectionId}/documents`,
      form(Array.from({ length: 61 }, (_, i) => ({ name: `m${i}.txt`, content: `many ${i}` }))),
    );
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.code).toBe('too_many_files');

    const big = await api(
      'POST',
      `/v1/collections/${collectionId}/documents`,
      form([
        { name: 'ok.txt', content: 'a fine small file' },
        { name: '../../etc/passwd', content: 'x'.repeat(300_000) },
      ]),
    );
    expect(big.status, JSON.stringify(big.body)).toBe(202);
    // The name keeps its folders, not the steps up (see sanitizeFilename).
    expect(
      big.body.documents.map((d: { source: string; error: { code: string } | null }) => [
        d.source,
        d.error?.code ?? null,
      ]),
    ).toEqual([
      ['ok.txt', null],
      ['etc/passwd', 'file_too_large'],
    ]);

    const tooLarge = await api(
      'POST',
      `/v1/collections/${collectionId}/documents`,
      form(Array.from({ length: 12 }, (_, i) => ({ name: `l${i}.txt`, content: `${i}`.repeat(190_000) }))),
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.code).toBe('request_too_large');

    const none = await api('POST', `/v1/collections/${collectionId}/documents`, new FormData());
    expect([400, 422]).toContain(none.status);

    const notMultipart = await api('POST', `/v1/collections/${collectionId}/documents`, { file: 'x' });
    expect(notMultipart.status).toBe(400);
    expect(notMultipart.body.code).toBe('invalid_multipart');

    const badQuery = await api('POST', `/v1/collections/${collectionId}/query`, { query: '', top_k: 1000 });
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.code).toBe('invalid_input');
    expect(JSON.stringify(badQuery.body)).not.toMatch(/at .*\.ts:\d+/);

    const before = (await api('GET', `/v1/documents?collection=${collectionId}&limit=500`)).body.documents.length;
    // A body cut off mid-file, then a body whose Content-Length promises more than it sends.
    await rawUpload(t.url, t.adminKey, collectionId, (req, boundary) => {
      req.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.txt"\r\n\r\npartial content`,
      );
      setTimeout(() => req.destroy(), 50);
    });
    await rawUpload(t.url, t.adminKey, collectionId, (req, boundary) => {
      req.setHeader('content-length', '100000');
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="lie.txt"\r\n\r\nshort`);
      setTimeout(() => req.destroy(), 100);
    });
    const garbage = await fetch(`${t.url}/v1/collections/${collectionId}/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--abc\r\nnot a part\r\n',
    });
    expect([400, 422]).toContain(garbage.status);
    const after = (await api('GET', `/v1/documents?collection=${collectionId}&limit=500`)).body.documents.length;
    expect(after).toBe(before);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('serves health, readiness, metrics, OpenAPI and the API docs', async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${t.url}/readyz`)).json()).toMatchObject({
      status: 'ready',
      checks: {
        ledger: 'ok',
        blobs: 'ok',
        queue: expect.stringMatching(/^ok \(waiting \d+, active \d+, delayed \d+, failed 0\)$/),
        workers: 'ok (1 live)',
      },
    });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/sluice_uploads_total \d+/);
    expect(metrics).toMatch(/sluice_documents\{state="completed"\} \d+/);
    expect(metrics).toMatch(/sluice_stage_duration_seconds_count\{stage="embedding"\} \d+/);
    expect(metrics).toMatch(/sluice_embedder_calls_total\{outcome="ok"\} \d+/);
    const openapi = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/v1/collections/{id}/documents',
        '/v1/batches/{id}/events',
        '/v1/collections/{id}/query',
        '/v1/documents/{id}/chunks',
      ]),
    );
    const docs = await fetch(`${t.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });
});

describe('readiness without workers in the API process', () => {
  it('answers 503 until a worker process sharing the ledger sends heartbeats', async () => {
    const t = await startTestServer({ workers: false });
    try {
      const notReady = await fetch(`${t.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({
        code: 'not_ready',
        errors: { ledger: 'ok', workers: expect.stringMatching(/^failing/) },
      });
      // A second process on the same data folder, as `sluice worker` would be.
      const worker = await createApp(loadConfig({}, { dataDir: t.app.config.dataDir, logLevel: 'silent' }));
      await worker.startWorkers();
      const ready = await fetch(`${t.url}/readyz`);
      expect(ready.status).toBe(200);
      await worker.close();
      expect((await fetch(`${t.url}/readyz`)).status).toBe(503);
    } finally {
      await t.close();
    }
  });
});

describe('HTTP rate limit', () => {
  it('answers 429 with Retry-After past the per-key limit', async () => {
    const t = await startTestServer({ rateLimitPerMinute: 5, workers: false });
    try {
      const api = client(t.url, t.adminKey);
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof api>> | undefined;
      for (let i = 0; i < 7; i++) {
        const r = await api('GET', '/v1/collections');
        statuses.push(r.status);
        if (r.status === 429) {
          limited = r;
        }
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(limited!.body).toMatchObject({ code: 'rate_limited', status: 429 });
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another key has its own budget.
      expect((await client(t.url, await t.tenantKey('b'))('GET', '/v1/collections')).status).toBe(200);
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

function rawUpload(
  base: string,
  key: string,
  collectionId: string,
  write: (req: ReturnType<typeof httpRequest>, boundary: string) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const boundary = 'sluiceboundary';
    const url = new URL(`${base}/v1/collections/${collectionId}/documents`);
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    req.on('error', () => resolve());
    req.on('close', () => setTimeout(resolve, 100));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    write(req, boundary);
  });
}
