import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Queue } from 'bullmq';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { writeCorpus } from '../helpers/corpus.js';
import { fakeEmbedderEnv, startFakeEmbeddingsServer } from '../helpers/fake-embeddings-server.js';
import { redisFootprint } from '../helpers/redis.js';
import { startTestS3 } from '../helpers/s3-server.js';
import { freePort } from '../helpers/free-port.js';
import { runCli, startCli } from '../helpers/run-cli.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Chunk texts keyed by file name and index, so runs with other document ids and paths compare. */
function keyed(rows: { source: string; idx: number; text: string }[]): string[] {
  return rows.map((r) => `${basename(r.source)}#${r.idx}:${r.text}`).sort();
}

/** What a clean embedded run of the same folder produces: the reference for the distributed one. */
async function referenceChunks(folder: string): Promise<string[]> {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'sluice-ref-')), 'data');
  const run = await runCli(['ingest', folder, '-c', 'docs', '-d', dataDir]);
  expect(run.code).toBe(0);
  const db = new Database(join(dataDir, 'sluice.db'), { readonly: true });
  try {
    return keyed(
      db.prepare('SELECT d.source, c.idx, c.text FROM chunks c JOIN documents d ON d.id = c.document_id').all() as {
        source: string;
        idx: number;
        text: string;
      }[],
    );
  } finally {
    db.close();
  }
}

/** The shared ledger as the workers left it. */
async function ledger(c: Cluster) {
  const completedPerSource = (
    await c.db.query<{ source: string; n: number }>(
      `SELECT source, count(*)::int AS n FROM documents WHERE state = 'completed' GROUP BY source`,
    )
  ).rows;
  const states = Object.fromEntries(
    (
      await c.db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM documents GROUP BY state')
    ).rows.map((r) => [r.state, r.n]),
  );
  const duplicateChunkRows = (
    await c.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM (SELECT document_id, idx FROM chunks GROUP BY document_id, idx HAVING count(*) > 1) d',
    )
  ).rows[0]!.n;
  const chunks = keyed(
    (
      await c.db.query<{ source: string; idx: number; text: string }>(
        'SELECT d.source, c.idx, c.text FROM chunks c JOIN documents d ON d.id = c.document_id',
      )
    ).rows,
  );
  return { completedPerSource, states, duplicateChunkRows, chunks };
}

/** BullMQ's own counts: nothing may be left waiting, running, delayed or failed. */
async function queueCounts(c: Cluster): Promise<Record<string, number>> {
  const connection = new Redis(c.redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('documents', { connection, prefix: 'sluice' });
  try {
    return await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

const files = (folder: string) => readdirSync(folder).map((name) => join(folder, name));

// Real processes on a 2-core machine, with the rest of the suite running beside them: give them room.
describe('distributed mode: API process and worker processes on Redis and Postgres', { timeout: 120_000 }, () => {
  const storages = [
    { storage: 'a shared blob folder', bucket: false },
    { storage: 'an S3 bucket, each process with a data folder of its own', bucket: true },
  ];
  it.each(storages)(
    'completes 200 files exactly once while one of two workers is killed with SIGKILL at random moments, raw files in $storage',
    async ({ bucket }) => {
      const folder = join(mkdtempSync(join(tmpdir(), 'sluice-dist-')), 'corpus');
      writeCorpus(folder, 200, 11, 120);
      const reference = await referenceChunks(folder);
      const s3 = bucket ? await startTestS3() : undefined;
      onTestFinished(() => s3?.stop());
      // Workers start once everything is queued, so the whole run happens under the kills.
      cluster = await startCluster({
        workers: 0,
        ...(s3 ? { blobs: { url: `s3://${await s3.newBucket()}/sluice/`, env: s3.env } } : {}),
      });
      const memoryBefore = await redisFootprint(cluster.redis.url);
      const { batchId } = await cluster.upload(files(folder));
      cluster.startWorker();
      cluster.startWorker();

      // Seeded, so a failure can be replayed: kill worker 0's process, start a new one in its place.
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      let victim = 0;
      let kills = 0;
      while (kills < 4 && !(await cluster.batch(batchId)).finished) {
        // Killed once it takes jobs (a process still starting up holds none), at a random moment after.
        const worker = cluster.workers[victim]!;
        await expect.poll(() => worker.output(), { timeout: 30_000, interval: 20 }).toMatch(/worker started/);
        await sleep(300 + random() * 1200);
        // ... and once it holds a document mid-run, so that the kill lands inside a job, not between two.
        const holding = async () =>
          (
            await cluster!.db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM documents d JOIN workers w ON w.id = d.worker_id
                WHERE w.pid = $1 AND d.state IN ('parsing', 'chunking', 'embedding', 'indexing')`,
              [worker.child.pid],
            )
          ).rows[0]!.n;
        while ((await holding()) === 0 && !(await cluster.batch(batchId)).finished) {
          await sleep(10);
        }
        if ((await cluster.batch(batchId)).finished) {
          break;
        }
        worker.child.kill('SIGKILL');
        await cluster.workers[victim]!.done;
        kills++;
        victim = cluster.startWorker();
      }
      expect(kills).toBeGreaterThanOrEqual(2);

      const final = await cluster.waitForBatch(batchId);
      expect(final.counts).toEqual({ completed: 200 });
      const state = await ledger(cluster);
      expect(state.completedPerSource).toHaveLength(200);
      expect(state.completedPerSource.every((r) => r.n === 1)).toBe(true);
      expect(state.duplicateChunkRows).toBe(0);
      expect(state.chunks.length).toBe(reference.length);
      expect(state.chunks).toEqual(reference);
      expect(await queueCounts(cluster)).toEqual({
        waiting: 0,
        prioritized: 0,
        active: 0,
        delayed: 0,
        failed: 0,
        completed: 0,
      });
      // The kills did land mid-job: documents were taken back from dead workers for another attempt.
      const retaken = (
        await cluster.db.query<{ n: number }>('SELECT count(*)::int AS n FROM documents WHERE attempts > 1')
      ).rows[0]!.n;
      expect(retaken).toBeGreaterThan(0);
      // Redis keeps nothing of the finished work: no job of a document or of a batch is left, and its
      // memory is back near where it started (what remains is BullMQ's capped event streams).
      const after = await redisFootprint(cluster.redis.url);
      expect(after.jobKeys).toBe(0);
      console.log(
        `redis memory: ${(memoryBefore.usedBytes / 1e6).toFixed(1)} MB before, ${(after.usedBytes / 1e6).toFixed(1)} MB after 200 documents`,
      );
      expect(after.usedBytes - memoryBefore.usedBytes).toBeLessThan(6 * 1024 * 1024);
      if (s3) {
        // Nothing went through a disk of theirs: every process's folder holds no raw file, nor a staged one.
        expect(cluster.localBlobFiles()).toEqual([]);
      }
    },
  );

  it('loses no document when Redis restarts mid-run (append-only file on)', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'sluice-dist-redis-')), 'corpus');
    writeCorpus(folder, 80, 5, 120);
    cluster = await startCluster({ workers: 2 });
    const { batchId } = await cluster.upload(files(folder));
    await expect
      .poll(async () => (await cluster!.batch(batchId)).counts.completed ?? 0, { timeout: 60_000, interval: 100 })
      .toBeGreaterThan(5);
    expect((await cluster.batch(batchId)).finished).toBe(false);
    await cluster.redis.restart(1000);

    const final = await cluster.waitForBatch(batchId);
    expect(final.counts).toEqual({ completed: 80 });
    const state = await ledger(cluster);
    expect(state.completedPerSource).toHaveLength(80);
    expect(state.duplicateChunkRows).toBe(0);
    expect(cluster.workers.every((w) => w.child.exitCode === null)).toBe(true);
  });

  it('a key revoked through one API node answers 401 on another within a second', async () => {
    cluster = await startCluster({ workers: 0 });
    const port = await freePort();
    const other = startCli(
      [
        'serve',
        '--no-workers',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '-d',
        mkdtempSync(join(tmpdir(), 'sluice-api-2-')),
      ],
      cluster.env,
    );
    let output = '';
    other.child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await expect.poll(() => output, { timeout: 30_000 }).toMatch(/listening on/);
      const admin = { authorization: `Bearer ${cluster.apiKey}`, 'content-type': 'application/json' };
      const created = (await (
        await fetch(`${cluster.url}/v1/tenants`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ name: 'acme' }),
        })
      ).json()) as { tenant: { id: string }; key: { key_id: string; api_key: string } };
      const onOther = () =>
        fetch(`http://127.0.0.1:${port}/v1/collections`, {
          headers: { authorization: `Bearer ${created.key.api_key}` },
        });
      expect((await onOther()).status).toBe(200);
      const revoked = await fetch(`${cluster.url}/v1/tenants/${created.tenant.id}/keys/${created.key.key_id}`, {
        method: 'DELETE',
        headers: { authorization: admin.authorization },
      });
      expect(revoked.status).toBe(204);
      const at = Date.now();
      await expect.poll(async () => (await onOther()).status, { timeout: 1000, interval: 50 }).toBe(401);
      expect(Date.now() - at).toBeLessThan(1000);
    } finally {
      other.child.kill('SIGTERM');
      await other.done;
    }
  });

  it('a worker given SIGTERM mid-document hands it back and exits 0; another worker completes it', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'sluice-dist-term-')), 'corpus');
    writeCorpus(folder, 1, 3, 10);
    // Large enough that chunking takes seconds: the signal lands while the document runs.
    const paragraph = 'The sluice gate holds the river until the worker opens it again. ';
    writeFileSync(join(folder, 'large.txt'), paragraph.repeat(60_000));
    cluster = await startCluster({ workers: 1, env: { SLUICE_SHUTDOWN_GRACE_MS: '200' } });
    const { batchId, documents } = await cluster.upload(files(folder));
    const large = documents.find((d) => d.source === 'large.txt')!;
    const headers = { authorization: `Bearer ${cluster.apiKey}` };
    const stateOf = async () =>
      ((await (await fetch(`${cluster!.url}/v1/documents/${large.id}`, { headers })).json()) as { state: string })
        .state;
    await expect.poll(stateOf, { timeout: 30_000, interval: 50 }).toMatch(/parsing|chunking|embedding/);

    cluster.workers[0]!.child.kill('SIGTERM');
    const stopped = await cluster.workers[0]!.done;
    expect(stopped.code).toBe(0);
    expect(await stateOf()).not.toBe('completed');

    cluster.startWorker();
    const final = await cluster.waitForBatch(batchId);
    expect(final.counts).toEqual({ completed: 2 });
    const attempts = await cluster.db.query<{ attempts: number }>('SELECT attempts FROM documents WHERE id = $1', [
      large.id,
    ]);
    // Released mid-parse it is claimed again (2 attempts); released mid-batch its batches resume (1).
    expect(attempts.rows[0]!.attempts).toBeLessThanOrEqual(2);
    expect((await ledger(cluster)).duplicateChunkRows).toBe(0);
  });

  it('an embedding batch that keeps failing fails its document with a clear code; the others complete', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'sluice-dist-embed-')), 'corpus');
    writeCorpus(folder, 9, 13, 20);
    writeFileSync(
      join(folder, 'poison.txt'),
      'This text carries the POISON marker that the embedding API always refuses.\n',
    );
    const fake = await startFakeEmbeddingsServer(64, (_call, inputs) =>
      inputs.some((text) => text.includes('POISON')) ? { kind: 'status', status: 500 } : { kind: 'ok' },
    );
    try {
      cluster = await startCluster({
        workers: 2,
        env: {
          SLUICE_EMBEDDER: 'openai',
          SLUICE_OPENAI_BASE_URL: fake.url,
          SLUICE_EMBED_DIMENSION: '64',
          SLUICE_EMBED_MAX_RETRIES: '1',
          SLUICE_MAX_ATTEMPTS: '2',
        },
      });
      const { batchId, documents } = await cluster.upload(files(folder));
      const final = await cluster.waitForBatch(batchId);
      expect(final.counts).toEqual({ completed: 9, failed: 1 });
      const poison = documents.find((d) => d.source === 'poison.txt')!;
      const failed = await cluster.db.query<{ error_code: string; attempts: number }>(
        'SELECT error_code, attempts FROM documents WHERE id = $1',
        [poison.id],
      );
      expect(failed.rows[0]).toEqual({ error_code: 'embedder_unavailable', attempts: 2 });
      expect(await queueCounts(cluster)).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });

      // Status, from the API and from the CLI, sees both worker processes and the whole run.
      const headers = { authorization: `Bearer ${cluster.apiKey}` };
      const status = (await (await fetch(`${cluster.url}/v1/status`, { headers })).json()) as any;
      expect(status.workers).toHaveLength(2);
      expect(status.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
      expect(status.documents).toEqual({ completed: 9, failed: 1 });
      expect(status.throughput.completed_last_minute).toBe(9);
      const ready = (await (await fetch(`${cluster.url}/readyz`)).json()) as any;
      expect(ready.checks.workers).toBe('ok (2 live)');
      const cli = await runCli(['status'], cluster.env);
      expect(cli.stdout).toMatch(/postgres ledger, redis queue/);
      expect(cli.stdout).toMatch(/workers: 2 live/);
      expect(cli.stdout).toMatch(/documents: completed 9, failed 1/);

      // Bull Board, for admin keys only; a browser gets a Basic prompt and the key as password.
      const dashboard = `${cluster.url}/admin/queues`;
      const anonymous = await fetch(dashboard);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
      const basic = `Basic ${Buffer.from(`admin:${cluster.apiKey}`).toString('base64')}`;
      const page = await fetch(dashboard, { headers: { authorization: basic } });
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      const queues = await fetch(`${dashboard}/api/queues`, { headers: { authorization: basic } });
      expect(((await queues.json()) as any).queues.map((q: { name: string }) => q.name)).toEqual([
        'documents',
        'embeddings',
      ]);
    } finally {
      await fake.close();
    }
  });

  it('keeps what Redis holds for a document small at any size and dimension, with its stream caps after Redis lost its data', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sluice-dist-mem-'));
    // About 600 chunks of 1,536 dimensions: 3.5 MB of vectors, over 4 MB as base64.
    const words = Array.from({ length: 600 * 200 }, (_, i) => `word${(i * 7919) % 5003}`);
    writeFileSync(join(folder, 'large.txt'), words.join(' '));
    const fake = await startFakeEmbeddingsServer(1536);
    try {
      cluster = await startCluster({
        workers: 1,
        env: { ...fakeEmbedderEnv(fake.url, 1536), SLUICE_EMBED_BATCH_SIZE: '16' },
      });
      // Redis loses everything while every process stays up: as a restart without persistence would.
      const admin = new Redis(cluster.redis.url);
      try {
        await admin.flushall();
        await admin.client('KILL', 'TYPE', 'normal');
      } finally {
        admin.disconnect();
      }
      await sleep(500);
      const { batchId, documents } = await cluster.upload(files(folder));
      const final = await cluster.waitForBatch(batchId);
      expect(final.counts).toEqual({ completed: 1 });
      const chunks = (
        await cluster.db.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks WHERE document_id = $1', [
          documents[0]!.id,
        ])
      ).rows[0]!.n;
      expect(chunks).toBeGreaterThan(400);
      expect((await cluster.db.query('SELECT 1 FROM staged_chunks')).rowCount).toBe(0);

      const redis = new Redis(cluster.redis.url);
      try {
        expect(await redis.hget('sluice:embeddings:meta', 'opts.maxLenEvents')).toBe('100');
        expect(await redis.hget('sluice:documents:meta', 'opts.maxLenEvents')).toBe('1000');
        // No job, result or event entry carries chunk text or vectors.
        let largest = 0;
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', 'sluice:*', 'COUNT', 1000);
          for (const key of keys) {
            largest = Math.max(largest, Number(await redis.memory('USAGE', key)));
          }
          cursor = next;
        } while (cursor !== '0');
        expect(largest).toBeLessThan(64 * 1024);
      } finally {
        redis.disconnect();
      }
    } finally {
      await fake.close();
    }
  });

  it('spreads the embedding batches of one document over both workers (fan-out) and publishes it once (fan-in)', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'sluice-dist-fan-')), 'corpus');
    writeCorpus(folder, 1, 17, 800);
    const fake = await startFakeEmbeddingsServer(32, () => ({ kind: 'slow', ms: 150 }));
    try {
      const env = {
        SLUICE_EMBEDDER: 'openai',
        SLUICE_OPENAI_BASE_URL: fake.url,
        SLUICE_EMBED_DIMENSION: '32',
        SLUICE_EMBED_BATCH_SIZE: '8',
      };
      cluster = await startCluster({ workers: 0, env });
      const { batchId, documents } = await cluster.upload(files(folder));
      // Each worker names itself in a header the fake API records.
      cluster.startWorker({ SLUICE_EMBED_HEADERS: '{"x-worker":"a"}' });
      cluster.startWorker({ SLUICE_EMBED_HEADERS: '{"x-worker":"b"}' });
      const final = await cluster.waitForBatch(batchId);
      expect(final.counts).toEqual({ completed: 1 });
      const row = (
        await cluster.db.query<{ chunks_total: number; n: number }>(
          'SELECT d.chunks_total, (SELECT count(*)::int FROM chunks c WHERE c.document_id = d.id) AS n FROM documents d WHERE d.id = $1',
          [documents[0]!.id],
        )
      ).rows[0]!;
      expect(row.chunks_total).toBeGreaterThan(60);
      expect(row.n).toBe(row.chunks_total);
      const byWorker = new Map<string, number>();
      for (const call of fake.calls) {
        const worker = String(call.headers['x-worker']);
        byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
      }
      expect([...byWorker.keys()].sort()).toEqual(['a', 'b']);
      expect((byWorker.get('a') ?? 0) + (byWorker.get('b') ?? 0)).toBe(Math.ceil(row.chunks_total / 8));
    } finally {
      await fake.close();
    }
  });
});
