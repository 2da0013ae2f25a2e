import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { form } from '../helpers/test-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(process.env.TEST_REDIS_URL !== undefined)('Redis gone away', () => {
  let redis: TestRedis;
  let server: LiveServer;

  beforeAll(async () => {
    redis = await startTestRedis();
    server = await startLiveServer({ REDIS_URL: redis.url, SLUICE_SHUTDOWN_GRACE_MS: '2000' });
  });
  afterAll(async () => {
    if (server?.alive()) {
      await server.stop();
    }
    await redis?.stop();
  });

  it('answers readiness 503 within a second or two, refuses uploads fast with 503, and stops within its grace on SIGTERM', async () => {
    const headers = { authorization: `Bearer ${server.adminKey}` };
    const upload = () =>
      fetch(`${server.url}/v1/collections/${server.collectionId}/documents`, {
        method: 'POST',
        headers,
        body: form([{ name: `f-${Date.now()}.txt`, content: `some text ${Math.random()}` }]),
        signal: AbortSignal.timeout(30_000),
      });
    expect((await upload()).status).toBe(202);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    await redis.stop();
    let started = Date.now();
    const ready = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
    expect(ready.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(((await ready.json()) as { errors: { queue: string } }).errors.queue).toMatch(/^failing/);

    started = Date.now();
    const refused = await upload();
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { code: string }).code).toBe('dependency_unavailable');
    expect(server.alive()).toBe(true);

    // The grace (2 s) and the margin past it (5 s) bound the stop, whatever Redis does.
    started = Date.now();
    process.kill(server.pid, 'SIGTERM');
    while (server.alive() && Date.now() - started < 20_000) {
      await sleep(100);
    }
    expect(server.alive()).toBe(false);
    expect(Date.now() - started).toBeLessThan(9_000);
  });
});
