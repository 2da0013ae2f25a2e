import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { writeCorpus } from '../helpers/corpus.js';
import { fakeEmbedderEnv, startFakeEmbeddingsServer } from '../helpers/fake-embeddings-server.js';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';
import { redisFootprint } from '../helpers/redis.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const graceMs = 3000;

let cluster: Cluster | undefined;
let server: PgServer;
let embeddings: Awaited<ReturnType<typeof startFakeEmbeddingsServer>>;
beforeAll(async () => {
  server = await startPgServer();
  // Each call takes a while, so that documents are in flight when a fault comes.
  embeddings = await startFakeEmbeddingsServer(16, () => ({ kind: 'slow', ms: 60 }));
});
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});
afterAll(async () => {
  await embeddings.close();
  await server.destroy();
});

/** Small batches of a slow embedder: each document makes several calls. */
const embedderEnv = () => ({ ...fakeEmbedderEnv(embeddings.url, 16), SLUICE_EMBED_BATCH_SIZE: '4' });

/** A batch of its own files: each round's files differ from every other round's. */
function corpus(round: number, count: number): string[] {
  const folder = join(mkdtempSync(join(tmpdir(), `sluice-pgfault-${round}-`)), 'corpus');
  writeCorpus(folder, count, 100 + round, 40);
  return readdirSync(folder).map((name) => join(folder, name));
}

async function readiness(c: Cluster): Promise<number> {
  try {
    return (await fetch(`${c.url}/readyz`, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}

/** Per source, how many completed documents and chunk rows the ledger holds: read on a connection of its own. */
async function ledgerOf(url: string) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const states = (
      await db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM documents GROUP BY state')
    ).rows;
    const duplicateChunks = (
      await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM (SELECT document_id, idx FROM chunks GROUP BY 1, 2 HAVING count(*) > 1) d',
      )
    ).rows[0]!.n;
    const perSource = (
      await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM documents WHERE state = 'completed' GROUP BY collection_id, source HAVING count(*) > 1",
      )
    ).rowCount;
    const staged = (await db.query('SELECT 1 FROM staged_chunks')).rowCount;
    return { states: Object.fromEntries(states.map((r) => [r.state, r.n])), duplicateChunks, perSource, staged };
  } finally {
    await db.end();
  }
}

describe('distributed mode on a real PostgreSQL server that goes away', { timeout: 300_000 }, () => {
  it('keeps every process up through cut sessions and 5 s and 60 s outages under load, and completes every document once', async () => {
    const databaseUrl = await server.freshDatabaseUrl();
    cluster = await startCluster({
      workers: 2,
      databaseUrl,
      env: { ...embedderEnv(), SLUICE_SHUTDOWN_GRACE_MS: String(graceMs) },
    });
    const c = cluster;
    const redisBaseline = (await redisFootprint(c.redis.url)).usedBytes;
    const batches: string[] = [];
    /** Uploads a round's files and waits until some of them are done: the fault then comes under load. */
    const underLoad = async (round: number) => {
      const { batchId } = await c.upload(corpus(round, 40), `round-${round}`);
      batches.push(batchId);
      await expect
        .poll(async () => (await c.batch(batchId)).counts.completed ?? 0, { timeout: 60_000, interval: 100 })
        .toBeGreaterThan(2);
      expect((await c.batch(batchId)).finished).toBe(false);
    };
    const everyoneUp = () => [c.workers[0], ...c.workers].every((p) => p!.child.exitCode === null);

    // Sessions terminated mid-transaction, three times over.
    await underLoad(0);
    for (let i = 0; i < 3; i++) {
      expect(await server.terminateSessions()).toBeGreaterThan(0);
      await sleep(300);
    }
    expect(everyoneUp()).toBe(true);

    // Stopped for 5 s: readiness goes 503, an upload is refused at once with 503, and both come back.
    await underLoad(1);
    await server.stop();
    await expect.poll(() => readiness(c), { timeout: 5000, interval: 200 }).toBe(503);
    const started = Date.now();
    const refused = await fetch(`${c.url}/v1/collections`, {
      headers: { authorization: `Bearer ${c.apiKey}` },
      signal: AbortSignal.timeout(10_000),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { code: string }).code).toBe('dependency_unavailable');
    await sleep(5000);
    await server.start();
    await expect.poll(() => readiness(c), { timeout: 15_000, interval: 200 }).toBe(200);
    expect(everyoneUp()).toBe(true);

    // Stopped for 60 s; a worker told to stop meanwhile ends within its grace (plus the 5 s bound).
    await underLoad(2);
    await server.stop();
    await sleep(5000);
    const stopping = c.workers[1]!;
    const asked = Date.now();
    stopping.child.kill('SIGTERM');
    await stopping.done;
    expect(Date.now() - asked).toBeLessThan(graceMs + 5000 + 2000);
    await sleep(55_000);
    expect(c.workers[0]!.child.exitCode).toBeNull();
    await server.start();
    c.startWorker();

    for (const batchId of batches) {
      const final = await c.waitForBatch(batchId, 120_000);
      expect(final.counts).toEqual({ completed: 40 });
    }
    expect(everyoneUp() || c.workers[1]!.child.exitCode !== null).toBe(true);
    expect(c.workers[0]!.child.exitCode).toBeNull();
    expect(c.workers[2]!.child.exitCode).toBeNull();
    const ledger = await ledgerOf(databaseUrl);
    expect(ledger).toEqual({ states: { completed: 120 }, duplicateChunks: 0, perSource: 0, staged: 0 });
    // What Redis held for the documents is gone with them.
    const footprint = await redisFootprint(c.redis.url);
    expect(footprint.jobKeys).toBe(0);
    expect(footprint.usedBytes).toBeLessThan(redisBaseline + 2 * 1024 * 1024);

    // Told to stop while the database is away, the API node and the workers end within their grace.
    await server.stop();
    await expect.poll(() => readiness(c), { timeout: 5000, interval: 200 }).toBe(503);
    const running = [c.api, c.workers[0]!, c.workers[2]!];
    const told = Date.now();
    running.forEach((p) => p.child.kill('SIGTERM'));
    await Promise.all(running.map((p) => p.done));
    expect(Date.now() - told).toBeLessThan(graceMs + 5000 + 2000);
    await server.start();
  });

  it('recovers from Redis restarted with its data and without it, from the ledger, with no process restarted', async () => {
    const databaseUrl = await server.freshDatabaseUrl();
    cluster = await startCluster({
      workers: 2,
      databaseUrl,
      env: embedderEnv(),
    });
    const c = cluster;
    const before = await ledgerOf(databaseUrl);
    const { batchId: kept } = await c.upload(corpus(10, 40), 'redis-kept');
    await expect.poll(async () => (await c.batch(kept)).counts.completed ?? 0, { timeout: 60_000 }).toBeGreaterThan(2);
    await c.redis.restart(1000);
    const { batchId: lost } = await c.upload(corpus(11, 40), 'redis-lost');
    await expect.poll(async () => (await c.batch(lost)).counts.completed ?? 0, { timeout: 60_000 }).toBeGreaterThan(2);
    await c.redis.restart(1000, { loseData: true });
    for (const batchId of [kept, lost]) {
      expect((await c.waitForBatch(batchId, 120_000)).counts).toEqual({ completed: 40 });
    }
    expect(c.workers.every((p) => p.child.exitCode === null)).toBe(true);
    const after = await ledgerOf(databaseUrl);
    expect(after.states.completed).toBe((before.states.completed ?? 0) + 80);
    expect(after).toMatchObject({ duplicateChunks: 0, perSource: 0, staged: 0 });
    expect((await redisFootprint(c.redis.url)).jobKeys).toBe(0);
  });
});
