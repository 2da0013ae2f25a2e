import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type ConfigInput } from '../../src/app/config.js';
import { createApp, type AppContext } from '../../src/app/create-app.js';
import { createRateLimiter } from '../../src/limits/local-rate-limiter.js';
import { expandPaths } from '../../src/services/expand-paths.js';
import { startFakeEmbeddingsServer, type FakeAnswer } from '../helpers/fake-embeddings-server.js';

const dimension = 32;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) {
    await cleanups.pop()!();
  }
});

async function ingestWith(
  script: (call: number, inputs: string[]) => FakeAnswer,
  files: Record<string, string>,
  overrides: ConfigInput = {},
) {
  const fake = await startFakeEmbeddingsServer(dimension, script);
  cleanups.push(() => fake.close());
  const root = mkdtempSync(join(tmpdir(), 'sluice-openai-'));
  const folder = join(root, 'in');
  mkdirSync(folder);
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(folder, name), text);
  }
  const app: AppContext = await createApp(
    loadConfig(
      {},
      {
        dataDir: join(root, 'data'),
        logLevel: 'silent',
        embedder: 'openai',
        openaiBaseUrl: fake.url,
        openaiApiKey: 'sk-test',
        embedModel: 'fake-embed',
        embedDimension: dimension,
        retryBaseMs: 5,
        retryMaxMs: 50,
        ...overrides,
      },
    ),
  );
  cleanups.push(() => app.close());
  await app.startWorkers();
  const collection = await app.ensureCollection((await app.defaultTenant()).id, 'docs');
  const batch = await app.store.createBatch(collection.id, 'test');
  await app.submit({ collection, batch, files: (await expandPaths([folder], folder)).files });
  await app.queue.idle();
  const documents = await app.store.listDocuments({ batchId: batch.id, limit: 1000 });
  return { app, fake, collection, documents, folder };
}

/** Sentences that tokenise to about 10 tokens each, unique per document and line. */
const doc = (n: number, lines: number) =>
  Array.from({ length: lines }, (_, i) => `Document ${n} line ${i} says something unique here.`).join('\n\n');

describe('openai-compatible embedder against a misbehaving server', () => {
  it('completes 2,000 chunks with 20% of calls failing transiently, within 1.3× the minimum number of calls', async () => {
    // Every fifth call fails, cycling through the ways a real API fails.
    const failures: FakeAnswer[] = [
      { kind: 'status', status: 429, headers: { 'retry-after': '0.05' } },
      { kind: 'status', status: 500 },
      { kind: 'drop' },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 429, headers: { 'retry-after-ms': '30' } },
    ];
    let failed = 0;
    const files = Object.fromEntries(Array.from({ length: 20 }, (_, n) => [`doc-${n}.txt`, doc(n, 100)]));
    const { documents, fake, app, collection } = await ingestWith(
      (call) => (call % 5 === 0 ? (failures[failed++ % failures.length] as FakeAnswer) : { kind: 'ok' }),
      files,
      { chunkTokens: 16, chunkOverlap: 0, embedBatchSize: 20 },
    );
    expect(documents.map((d) => d.state)).toEqual(Array(20).fill('completed'));
    const chunks = documents.reduce((sum, d) => sum + d.chunksTotal, 0);
    expect(chunks).toBe(2000);
    const minimum = Math.ceil(2000 / 20);
    const okCalls = fake.calls.filter((c) => c.answer === 'ok').length;
    expect(okCalls).toBe(minimum);
    expect(fake.calls.length).toBeLessThanOrEqual(Math.ceil(minimum * 1.3));
    expect(fake.calls.every((c) => c.model === 'fake-embed' && c.authorization === 'Bearer sk-test')).toBe(true);
    expect(documents.every((d) => d.attempts === 1)).toBe(true);
    // The vectors are the server's, in input order despite its shuffled answer.
    const hits = await app.search(collection, {
      query: 'Document 7 line 42 says something unique here.',
      topK: 1,
      mode: 'vector',
    });
    expect(hits[0]?.text).toBe('Document 7 line 42 says something unique here.');
  });

  it('retries a request that times out', async () => {
    const { documents, fake } = await ingestWith(
      (call) => (call === 1 ? { kind: 'slow', ms: 1500 } : { kind: 'ok' }),
      { 'a.txt': doc(1, 3) },
      { embedTimeoutMs: 300 },
    );
    expect(documents[0]).toMatchObject({ state: 'completed', attempts: 1 });
    expect(fake.calls.length).toBe(2);
  });

  it('fails fast on 401 and 400, and on vectors of the wrong size, without retrying', async () => {
    const unauthorized = await ingestWith(
      () => ({ kind: 'status', status: 401, error: 'Incorrect API key provided' }),
      { 'a.txt': doc(1, 3) },
    );
    expect(unauthorized.documents[0]).toMatchObject({
      state: 'failed',
      errorCode: 'embedder_unauthorized',
      attempts: 1,
    });
    expect(unauthorized.documents[0]!.errorMessage).toMatch(/Incorrect API key/);
    expect(unauthorized.fake.calls).toHaveLength(1);

    const rejected = await ingestWith(() => ({ kind: 'status', status: 400, error: 'input is invalid' }), {
      'a.txt': doc(1, 3),
    });
    expect(rejected.documents[0]).toMatchObject({ state: 'failed', errorCode: 'embedder_rejected' });
    expect(rejected.fake.calls).toHaveLength(1);

    const wrongSize = await ingestWith(() => ({ kind: 'dimension', dimension: 16 }), { 'a.txt': doc(1, 3) });
    expect(wrongSize.documents[0]).toMatchObject({ state: 'failed', errorCode: 'embedder_mismatch' });
  });

  it('fails one document with embedder_unavailable after all retries while the others complete', async () => {
    // The server fails every call that carries the poisoned document's text.
    const { documents } = await ingestWith(
      (_call, inputs) =>
        inputs.some((i) => i.includes('Document 3 ')) ? { kind: 'status', status: 502 } : { kind: 'ok' },
      Object.fromEntries(Array.from({ length: 6 }, (_, n) => [`doc-${n}.txt`, doc(n, 5)])),
      { embedMaxRetries: 2, maxAttempts: 2 },
    );
    const byName = Object.fromEntries(
      documents.map((d) => [d.source.split('/').pop(), `${d.state}:${d.errorCode ?? ''}:${d.attempts}`]),
    );
    expect(byName).toEqual({
      'doc-0.txt': 'completed::1',
      'doc-1.txt': 'completed::1',
      'doc-2.txt': 'completed::1',
      'doc-3.txt': 'failed:embedder_unavailable:2',
      'doc-4.txt': 'completed::1',
      'doc-5.txt': 'completed::1',
    });
  });

  it('embeds only the changed chunks when an edited document is ingested again (embedding cache)', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `Paragraph ${i} of the cached document stays the same.`);
    const { app, fake, collection, folder, documents } = await ingestWith(
      () => ({ kind: 'ok' }),
      { 'a.txt': lines.join('\n\n') },
      { chunkTokens: 16, chunkOverlap: 0 },
    );
    expect(documents[0]).toMatchObject({ state: 'completed', chunksTotal: 50 });
    const firstInputs = fake.calls.flatMap((c) => c.inputs).length;
    expect(firstInputs).toBe(50);

    lines[10] = 'Paragraph 10 was rewritten with new words entirely.';
    lines[33] = 'Paragraph 33 was rewritten too, differently.';
    writeFileSync(join(folder, 'a.txt'), lines.join('\n\n'));
    const batch = await app.store.createBatch(collection.id, 'edit');
    await app.submit({ collection, batch, files: (await expandPaths([folder], folder)).files });
    await app.queue.idle();
    expect((await app.store.getDocument(documents[0]!.id))?.state).toBe('completed');
    const sentAgain = fake.calls.flatMap((c) => c.inputs).slice(firstInputs);
    expect(sentAgain.sort()).toEqual([
      'Paragraph 10 was rewritten with new words entirely.',
      'Paragraph 33 was rewritten too, differently.',
    ]);
    const hits = await app.search(collection, {
      query: 'Paragraph 33 was rewritten too, differently.',
      topK: 1,
      mode: 'vector',
    });
    expect(hits[0]?.text).toBe('Paragraph 33 was rewritten too, differently.');
  });

  it('refuses chunks longer than the model takes as a configuration error, not a silent truncation', async () => {
    expect(() => loadConfig({}, { embedder: 'openai', embedDimension: 8, chunkTokens: 9000 })).toThrow(
      /SLUICE_EMBED_MAX_INPUT_TOKENS/,
    );
    expect(() => loadConfig({}, { embedder: 'openai' })).toThrow(/embedDimension \(SLUICE_EMBED_DIMENSION\)/);
  });
});

describe('rate limiter', () => {
  it('never lets more than the requests-per-minute limit start in any 60-second window', async () => {
    let clock = 0;
    const limiter = createRateLimiter({ maxConcurrent: 100, requestsPerMinute: 10, tokensPerMinute: 0 }, () => clock);
    const started: number[] = [];
    const pending = Array.from({ length: 25 }, () =>
      limiter.acquire(1).then((release) => (started.push(clock), release())),
    );
    // Let the first admissions record their time, then advance a fake clock step by step, nudging
    // the limiter at each step (its own timers run on real time).
    await new Promise((resolve) => setTimeout(resolve, 1));
    for (let step = 0; step < 200 && started.length < 25; step++) {
      clock += 1000;
      limiter.pauseFor(0);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(pending);
    for (const t of started) {
      expect(started.filter((s) => s > t - 60_000 && s <= t).length).toBeLessThanOrEqual(10);
    }
    expect(started.slice(0, 10).every((t) => t === started[0])).toBe(true);
    expect(Math.max(...started)).toBeGreaterThanOrEqual(120_000);
  });

  it('keeps to the tokens-per-minute budget and the concurrency cap', async () => {
    let clock = 0;
    const limiter = createRateLimiter({ maxConcurrent: 2, requestsPerMinute: 0, tokensPerMinute: 1000 }, () => clock);
    const first = await limiter.acquire(600);
    const second = await limiter.acquire(400);
    let third = false;
    const waiting = limiter.acquire(100).then((release) => {
      third = true;
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(third).toBe(false);
    first();
    second();
    clock += 60_001;
    limiter.pauseFor(0);
    (await waiting)();
    expect(third).toBe(true);
  });
});
