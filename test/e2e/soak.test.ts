import { mkdtempSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { writeCorpus } from '../helpers/corpus.js';
import { redisFootprint } from '../helpers/redis.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How long the chaos lasts; `SOAK_SECONDS` makes it longer (or shorter) from the command line. */
const seconds = Number(process.env.SOAK_SECONDS ?? 45);

async function redisState(c: Cluster): Promise<{ usedBytes: number; jobKeys: number; counts: Record<string, number> }> {
  const footprint = await redisFootprint(c.redis.url);
  const redis = new Redis(c.redis.url, { maxRetriesPerRequest: null });
  const queues = ['documents', 'embeddings'].map((name) => new Queue(name, { connection: redis, prefix: 'sluice' }));
  try {
    const counts: Record<string, number> = {};
    for (const queue of queues) {
      for (const [state, n] of Object.entries(
        await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'waiting-children', 'failed'),
      )) {
        counts[state] = (counts[state] ?? 0) + n;
      }
    }
    return { ...footprint, counts };
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
  }
}

describe(
  'soak: uploads, cancels and worker kills for a while (real processes, Redis)',
  { timeout: (seconds + 180) * 1000 },
  () => {
    it('ends with every accepted file completed or cancelled, nothing in flight, no duplicate chunk, Redis back near its start', async () => {
      const root = mkdtempSync(join(tmpdir(), 'sluice-soak-'));
      cluster = await startCluster({ workers: 2, ledger: 'sqlite' });
      const before = await redisState(cluster);
      const headers = { authorization: `Bearer ${cluster.apiKey}` };
      let seed = 7;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const accepted: string[] = [];
      // Cancels sent now and then to random files, most of them still queued or running.
      const cancelled = new Set<string>();
      let kills = 0;
      let round = 0;
      const until = Date.now() + seconds * 1000;
      while (Date.now() < until) {
        // A batch of 15 new files (new seeds: nothing is a duplicate).
        const folder = join(root, `round-${round}`);
        writeCorpus(folder, 15, 1000 + round, 12);
        // Names of their own: a file named like an earlier one would be a new version of it.
        for (const name of readdirSync(folder)) {
          renameSync(join(folder, name), join(folder, `r${round}-${name}`));
        }
        const { documents } = await cluster.upload(
          readdirSync(folder).map((name) => join(folder, name)),
          'soak',
        );
        accepted.push(...documents.map((d) => d.id));
        round++;
        // Cancel one of the files in flight now and then.
        if (random() < 0.5) {
          // One of the last two batches: most of those are still queued or running.
          const victim = accepted[accepted.length - 1 - Math.floor(random() * Math.min(30, accepted.length))]!;
          const answer = await fetch(`${cluster.url}/v1/documents/${victim}/cancel`, { method: 'POST', headers });
          expect(answer.status).toBe(200);
          // A document already finished stays as it ended; the answer says which.
          if (((await answer.json()) as { state: string }).state === 'cancelled') {
            cancelled.add(victim);
          }
        }
        // Kill a worker with SIGKILL now and then, and start another in its place.
        if (random() < 0.3) {
          const live = cluster.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
          const victim = live[Math.floor(random() * live.length)];
          if (victim) {
            victim.child.kill('SIGKILL');
            await victim.done;
            kills++;
            cluster.startWorker();
          }
        }
        await sleep(500 + random() * 1500);
      }
      expect(kills).toBeGreaterThan(0);

      // Every document reaches an end.
      const db = new Database(cluster.ledgerPath, { readonly: true });
      try {
        const unfinished = db.prepare<[], { n: number }>(
          "SELECT count(*) AS n FROM documents WHERE state IN ('queued', 'parsing', 'chunking', 'embedding', 'indexing')",
        );
        await expect.poll(() => unfinished.get()!.n, { timeout: 150_000, interval: 500 }).toBe(0);
        const byState = Object.fromEntries(
          db
            .prepare<[], { state: string; n: number }>('SELECT state, count(*) AS n FROM documents GROUP BY state')
            .all()
            .map((r) => [r.state, r.n]),
        );
        console.log(
          `soak: ${seconds} s, ${accepted.length} files, ${kills} worker kills, ${cancelled.size} documents cancelled; ends ${JSON.stringify(byState)}`,
        );
        // accepted = completed + cancelled (+ skipped, should two files happen to match; no file here can
        // fail), and the cancels that were answered held.
        expect((byState.completed ?? 0) + (byState.cancelled ?? 0) + (byState.skipped ?? 0)).toBe(accepted.length);
        expect(byState.failed ?? 0).toBe(0);
        const cancelledIds = db
          .prepare<[], { id: string }>("SELECT id FROM documents WHERE state = 'cancelled'")
          .all()
          .map((r) => r.id);
        expect(new Set(cancelledIds)).toEqual(cancelled);
        // Chunks: none of a cancelled document, every one of a completed one, exactly once.
        const checks = db
          .prepare<[], { duplicates: number; of_cancelled: number; short: number }>(
            `SELECT
             (SELECT count(*) FROM (SELECT document_id, idx FROM chunks GROUP BY document_id, idx HAVING count(*) > 1)) AS duplicates,
             (SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.state = 'cancelled') AS of_cancelled,
             (SELECT count(*) FROM documents d WHERE d.state = 'completed'
                AND d.chunks_total != (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)) AS short`,
          )
          .get()!;
        expect(checks).toEqual({ duplicates: 0, of_cancelled: 0, short: 0 });
      } finally {
        db.close();
      }
      // Nothing in flight in Redis, no job left, memory back near where it started.
      await expect
        .poll(async () => (await redisState(cluster!)).counts, { timeout: 20_000 })
        .toEqual({
          waiting: 0,
          prioritized: 0,
          active: 0,
          delayed: 0,
          'waiting-children': 0,
          failed: 0,
        });
      const after = await redisState(cluster);
      expect(after.jobKeys).toBe(0);
      console.log(
        `soak: redis memory ${(before.usedBytes / 1e6).toFixed(1)} MB before, ${(after.usedBytes / 1e6).toFixed(1)} MB after`,
      );
      expect(after.usedBytes - before.usedBytes).toBeLessThan(6 * 1024 * 1024);
    });
  },
);
