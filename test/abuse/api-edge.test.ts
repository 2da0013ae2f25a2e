import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAnswer, rawExchange } from '../helpers/live-server.js';
import { client, form, startTestServer, type TestServer } from '../helpers/test-server.js';

const portOf = (t: TestServer): number => Number(new URL(t.url).port);

/** One request written by hand, so that its request line and headers are exactly as given. */
async function raw(t: TestServer, request: string): Promise<ReturnType<typeof parseAnswer>> {
  return parseAnswer(await rawExchange(portOf(t), (socket) => socket.write(request), 3000));
}

/** Ways of writing a path that the router decodes to the same route. */
function spellings(path: string): string[] {
  const encodeAt = (at: number): string =>
    `${path.slice(0, at)}%${path.charCodeAt(at).toString(16)}${path.slice(at + 1)}`;
  const second = path.indexOf('/', 1) + 1;
  return [
    path,
    encodeAt(1),
    encodeAt(2),
    ...(second > 0 && second < path.length ? [encodeAt(second)] : []),
    `http://127.0.0.1${path}`,
  ];
}

describe('authentication is decided by the route, not by how its path is spelled', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ workers: false, authFailuresPerMinute: 100_000 });
  });
  afterAll(() => t.close());

  it('answers 401 on every route of the API without a key, under each spelling, and lets the public ones through', async () => {
    const spec = t.server.swagger() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path: path.replace(/\{[^}]+\}/g, 'x'),
        public: Array.isArray(operation.security) && operation.security.length === 0,
      })),
    );
    const guarded = routes.filter((r) => !r.public);
    expect(guarded.length).toBeGreaterThan(20);
    expect(routes.filter((r) => r.public).map((r) => r.path)).toEqual(['/healthz', '/readyz']);
    for (const route of guarded) {
      for (const path of spellings(route.path)) {
        const body = route.method === 'GET' || route.method === 'DELETE' ? '' : '{}';
        const answer = await raw(
          t,
          `${route.method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
        expect({ route: `${route.method} ${path}`, status: answer.status }).toEqual({
          route: `${route.method} ${path}`,
          status: 401,
        });
        expect(answer.body).toMatchObject({ code: 'unauthorized' });
      }
    }
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/', '/docs']) {
      const answer = await fetch(`${t.url}${path}`);
      expect({ path, status: answer.status }).not.toEqual({ path, status: 401 });
    }
  });
});

describe('rate limits', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ workers: false, rateLimitPerMinute: 5, authFailuresPerMinute: 20 });
  });
  afterAll(() => t.close());

  it('count requests per key, whatever the spelling of the Authorization header', async () => {
    const key = await t.tenantKey('spellings');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await fetch(`${t.url}/v1/collections`, { headers: { authorization: `Bearer ${key}` } })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    for (const header of [`bearer ${key}`, `BEARER ${key}`, `Bearer  ${key}`, `Bearer\t${key}`, `Bearer ${key} `]) {
      const answer = await fetch(`${t.url}/v1/collections`, { headers: { authorization: header } });
      expect({ header, status: answer.status }).toEqual({ header, status: 429 });
    }
  });

  it('answer failed authentications 429 with Retry-After past the limit per address, without locking out a valid key', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 25; i++) {
      const answer = await fetch(`${t.url}/v1/collections`, { headers: { authorization: 'Bearer junk' } });
      statuses.push(answer.status);
      retryAfter ??= answer.headers.get('retry-after');
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(5).fill(429));
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const valid = await fetch(`${t.url}/v1/collections`, {
      headers: { authorization: `Bearer ${await t.tenantKey('valid')}` },
    });
    expect(valid.status).toBe(200);
  });
});

describe('Idempotency-Key', () => {
  let t: TestServer;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    t = await startTestServer({ workers: false });
    api = client(t.url, t.adminKey);
  });
  afterAll(() => t.close());

  it('is scoped to its collection, replays the same request, and refuses a different one with 422', async () => {
    const first = (await api('POST', '/v1/collections', { name: 'first' })).body as { id: string };
    const second = (await api('POST', '/v1/collections', { name: 'second' })).body as { id: string };
    const headers = { 'idempotency-key': 'same-key' };
    const files = [{ name: 'a.txt', content: 'the same file' }];

    const original = await api('POST', `/v1/collections/${first.id}/documents`, form(files), headers);
    expect(original.status).toBe(202);
    const replay = await api('POST', `/v1/collections/${first.id}/documents`, form(files), headers);
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expect(replay.body.batch.id).toBe(original.body.batch.id);

    const elsewhere = await api('POST', `/v1/collections/${second.id}/documents`, form(files), headers);
    expect(elsewhere.status).toBe(202);
    expect(elsewhere.headers.get('idempotency-replayed')).toBeNull();
    expect(elsewhere.body.batch.collection_id).toBe(second.id);
    expect(elsewhere.body.documents[0].collection_id).toBe(second.id);

    const different = await api(
      'POST',
      `/v1/collections/${first.id}/documents`,
      form([{ name: 'a.txt', content: 'another file' }]),
      headers,
    );
    expect(different.status).toBe(422);
    expect(different.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(different.body).toMatchObject({ code: 'idempotency_key_reused' });
  });
});

describe('errors raised before routing', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ workers: false });
  });
  afterAll(() => t.close());

  it('are problem+json with a stable code, and do not echo the path', async () => {
    const cases: [string, string, number, string][] = [
      [
        'headers too large',
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        'header_too_large',
      ],
      ['a bad request line', 'GARBAGE\r\n\r\n', 400, 'bad_request'],
      [
        'a bad Content-Length',
        'POST /v1/collections HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
        400,
        'bad_request',
      ],
      [
        'a path segment too long',
        `GET /v1/documents/${'p'.repeat(300)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${t.adminKey}\r\n\r\n`,
        414,
        'uri_too_long',
      ],
      ['bad percent-encoding', 'GET /v1/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'bad_request'],
    ];
    for (const [what, request, status, code] of cases) {
      const answer = await raw(t, request);
      expect({ what, status: answer.status, type: answer.contentType }).toEqual({
        what,
        status,
        type: expect.stringMatching(/^application\/problem\+json/),
      });
      expect(answer.body).toMatchObject({ status, code });
      expect(JSON.stringify(answer.body)).not.toMatch(/ppppp|%zz/);
    }
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});
