import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { startFakeEmbeddingsServer } from '../helpers/fake-embeddings-server.js';

let cluster: Cluster | undefined;
let closeFake: (() => Promise<void>) | undefined;
afterEach(async () => {
  // A stopped process cannot take SIGTERM: wake every worker first.
  cluster?.workers.forEach((w) => w.child.pid && w.child.exitCode === null && process.kill(w.child.pid, 'SIGCONT'));
  await cluster?.stop();
  await closeFake?.();
  cluster = undefined;
  closeFake = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function bullCounts(c: Cluster): Promise<Record<string, number>> {
  const connection = new Redis(c.redis.url, { maxRetriesPerRequest: null });
  const queues = ['documents', 'embeddings'].map((name) => new Queue(name, { connection, prefix: 'sluice' }));
  try {
    const counts = await Promise.all(
      queues.map((q) => q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'waiting-children')),
    );
    const total: Record<string, number> = {};
    for (const one of counts) {
      for (const [state, n] of Object.entries(one)) {
        total[state] = (total[state] ?? 0) + n;
      }
    }
    return total;
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    connection.disconnect();
  }
}

/** One document of about 70 chunks of 500 tokens: 18 batches of 4 to embed. */
function largeDocumentFolder(prefix: string): string {
  const folder = join(mkdtempSync(join(tmpdir(), prefix)), 'corpus');
  mkdirSync(folder);
  const words = [
    'sluice',
    'gate',
    'river',
    'lease',
    'fence',
    'cancel',
    'worker',
    'batch',
    'vector',
    'index',
    'ledger',
    'queue',
  ];
  const paragraphs = Array.from(
    { length: 400 },
    (_, p) =>
      `Paragraph ${p}: ${Array.from({ length: 70 }, (_, w) => words[(p * 7 + w * 3 + ((p * w) % 5)) % words.length]).join(' ')}.`,
  );
  writeFileSync(join(folder, 'manual.md'), `# Manual\n\n${paragraphs.join('\n\n')}\n`);
  return folder;
}

const files = (folder: string) => readdirSync(folder).map((name) => join(folder, name));

describe('cancel and fencing across processes (real worker processes, Redis, Postgres)', { timeout: 120_000 }, () => {
  it('a cancel sent to the API stops the document on the worker processes within 2 s and leaves no chunks', async () => {
    const fake = await startFakeEmbeddingsServer(32, () => ({ kind: 'slow', ms: 300 }));
    closeFake = () => fake.close();
    const env = {
      SLUICE_EMBEDDER: 'openai',
      SLUICE_OPENAI_BASE_URL: fake.url,
      SLUICE_EMBED_DIMENSION: '32',
      SLUICE_EMBED_BATCH_SIZE: '4',
      SLUICE_EMBED_CACHE: 'false',
    };
    cluster = await startCluster({ workers: 2, env });
    const { documents } = await cluster.upload(files(largeDocumentFolder('sluice-cancel-')));
    const id = documents[0]!.id;
    // Cancelled mid-embedding, with batches running on both workers.
    await expect.poll(() => fake.calls.length, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(4);
    const headers = { authorization: `Bearer ${cluster.apiKey}` };
    const cancelledAt = Date.now();
    const answer = await fetch(`${cluster.url}/v1/documents/${id}/cancel`, { method: 'POST', headers });
    expect(answer.status).toBe(200);
    await sleep(3000);
    const callsAfter = fake.calls.filter((c) => c.at > cancelledAt + 2000);
    expect(callsAfter).toEqual([]);
    const lastCall = Math.max(...fake.calls.map((c) => c.at));
    console.log(
      `cancel: last embedding request ${lastCall - cancelledAt} ms after the cancel; ${fake.calls.length} requests in all`,
    );
    const row = (
      await cluster.db.query<{ state: string; chunks: number }>(
        'SELECT state, (SELECT count(*)::int FROM chunks WHERE document_id = $1) AS chunks FROM documents WHERE id = $1',
        [id],
      )
    ).rows[0];
    expect(row).toEqual({ state: 'cancelled', chunks: 0 });
    // Nothing of it left in the queues either.
    await expect
      .poll(() => bullCounts(cluster!), { timeout: 10_000 })
      .toEqual({ waiting: 0, prioritized: 0, active: 0, delayed: 0, 'waiting-children': 0 });
  });

  it('a worker frozen past its lock while another takes over: its late writes change nothing; the document completes once', async () => {
    const workerA: { pid?: number | undefined } = {};
    let frozenBatch: string | undefined;
    const fake = await startFakeEmbeddingsServer(32, (_call, inputs, headers) => {
      // The first request of worker A: freeze A right there, holding its job locks, mid-request.
      if (headers['x-worker'] === 'a' && !frozenBatch && workerA.pid) {
        frozenBatch = inputs.join('\n');
        process.kill(workerA.pid, 'SIGSTOP');
      }
      return { kind: 'slow', ms: 300 };
    });
    closeFake = () => fake.close();
    const env = {
      SLUICE_EMBEDDER: 'openai',
      SLUICE_OPENAI_BASE_URL: fake.url,
      SLUICE_EMBED_DIMENSION: '32',
      SLUICE_EMBED_BATCH_SIZE: '4',
      SLUICE_EMBED_CACHE: 'false',
    };
    cluster = await startCluster({ workers: 0, env });
    const { batchId, documents } = await cluster.upload(files(largeDocumentFolder('sluice-fence-')));
    const id = documents[0]!.id;
    const a = cluster.startWorker({ SLUICE_EMBED_HEADERS: '{"x-worker":"a"}' });
    workerA.pid = cluster.workers[a]!.child.pid;
    await expect.poll(() => frozenBatch, { timeout: 30_000, interval: 20 }).toBeDefined();

    // B takes the frozen worker's jobs over once their locks lapse (2 s here); as soon as B has sent
    // the frozen batch again, A wakes up, in the middle of B's run, and finishes its stale work.
    cluster.startWorker({ SLUICE_EMBED_HEADERS: '{"x-worker":"b"}' });
    const sentAgainByB = () =>
      fake.calls.some((c) => c.headers['x-worker'] === 'b' && c.inputs.join('\n') === frozenBatch);
    await expect.poll(sentAgainByB, { timeout: 30_000, interval: 20 }).toBe(true);
    process.kill(workerA.pid!, 'SIGCONT');

    const final = await cluster.waitForBatch(batchId);
    expect(final.counts).toEqual({ completed: 1 });
    // Time for the woken worker's late writes to land, if anything let them.
    await sleep(2000);
    const row = (
      await cluster.db.query<{ chunks_total: number; chunks_embedded: number; chunks: number; duplicates: number }>(
        `SELECT d.chunks_total, d.chunks_embedded,
              (SELECT count(*)::int FROM chunks WHERE document_id = d.id) AS chunks,
              (SELECT count(*)::int FROM (SELECT idx FROM chunks WHERE document_id = d.id GROUP BY idx HAVING count(*) > 1) x) AS duplicates
         FROM documents d WHERE d.id = $1`,
        [id],
      )
    ).rows[0]!;
    expect(row.chunks_total).toBeGreaterThan(20);
    expect(row).toEqual({
      chunks_total: row.chunks_total,
      chunks_embedded: row.chunks_total,
      chunks: row.chunks_total,
      duplicates: 0,
    });
    // The log shows one completion, and progress that never went backwards nor past the total.
    const events = (
      await cluster.db.query<{ data: { type: string; state?: string; chunksEmbedded?: number } }>(
        'SELECT data FROM events WHERE document_id = $1 ORDER BY seq',
        [id],
      )
    ).rows.map((r) => r.data);
    expect(events.filter((e) => e.type === 'document.state' && e.state === 'completed')).toHaveLength(1);
    const progress = events.filter((e) => e.type === 'document.progress').map((e) => e.chunksEmbedded!);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(Math.max(...progress)).toBe(row.chunks_total);
    // The stale batch really was delivered twice, and the woken worker lives on.
    expect(
      fake.calls
        .filter((c) => c.inputs.join('\n') === frozenBatch)
        .map((c) => c.headers['x-worker'])
        .sort(),
    ).toEqual(['a', 'b']);
    expect(cluster.workers[a]!.child.exitCode).toBeNull();
    await expect
      .poll(() => bullCounts(cluster!), { timeout: 10_000 })
      .toEqual({ waiting: 0, prioritized: 0, active: 0, delayed: 0, 'waiting-children': 0 });
  });
});
