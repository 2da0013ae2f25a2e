import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCuttingProxy } from '../helpers/cutting-proxy.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { form } from '../helpers/test-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL connections lost under load', () => {
  let pgServer: TestPostgres;
  let proxy: Awaited<ReturnType<typeof startCuttingProxy>>;
  let server: LiveServer;

  beforeAll(async () => {
    pgServer = await startTestPostgres();
    const url = new URL(await pgServer.freshDatabaseUrl());
    proxy = await startCuttingProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    server = await startLiveServer({ DATABASE_URL: url.toString(), SLUICE_CONCURRENCY: '2' });
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await pgServer?.stop();
  });

  it('keeps the process up: requests answer 202 or 503 dependency_unavailable, and every accepted document completes', async () => {
    const headers = { authorization: `Bearer ${server.adminKey}` };
    const answers: { status: number; code?: string; retryAfter: string | null; batch?: string }[] = [];
    const uploads = (async () => {
      for (let i = 0; i < 30; i++) {
        const response = await fetch(`${server.url}/v1/collections/${server.collectionId}/documents`, {
          method: 'POST',
          headers,
          body: form([
            { name: `a-${i}.md`, content: `# File ${i}\n\n${'words and more words '.repeat(200)} ${i}` },
            { name: `b-${i}.txt`, content: `Another file ${i}: ${'text '.repeat(300)}` },
          ]),
        });
        const body = (await response.json()) as { code?: string; batch?: { id: string } };
        answers.push({
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          ...(body.code ? { code: body.code } : {}),
          ...(body.batch ? { batch: body.batch.id } : {}),
        });
      }
    })();
    // Cut every connection of the server's pools a few times while it receives and ingests.
    let cut = 0;
    for (let round = 0; round < 6; round++) {
      await sleep(150);
      cut += proxy.cut();
    }
    await uploads;
    expect(cut).toBeGreaterThan(0);
    expect(server.alive()).toBe(true);
    for (const answer of answers) {
      if (answer.status !== 202) {
        expect(answer).toMatchObject({ status: 503, code: 'dependency_unavailable', retryAfter: '5' });
      }
    }
    const accepted = answers.filter((answer) => answer.status === 202);
    expect(accepted.length).toBeGreaterThan(0);

    // Every accepted batch finishes, each of its documents completed.
    const deadline = Date.now() + 60_000;
    for (const { batch } of accepted) {
      let finished: { finished: boolean; counts: Record<string, number> } | undefined;
      while (Date.now() < deadline) {
        const response = await fetch(`${server.url}/v1/batches/${batch}`, { headers });
        finished = response.status === 200 ? ((await response.json()) as typeof finished) : undefined;
        if (finished?.finished) {
          break;
        }
        await sleep(100);
      }
      expect(finished).toMatchObject({ finished: true, counts: { completed: 2 } });
    }
    expect(server.alive()).toBe(true);
  });
});
