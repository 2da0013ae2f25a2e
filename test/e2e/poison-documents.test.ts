import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { writeCorpus } from '../helpers/corpus.js';
import { heapHungryJson } from '../helpers/make-files.js';
import { runCli } from '../helpers/run-cli.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('poison documents', { timeout: 120_000 }, () => {
  it('distributed: a file that exhausts the parser heap every time fails with worker_crashed; the other 99 complete; no worker goes down', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'sluice-poison-')), 'corpus');
    writeCorpus(folder, 99, 5, 20);
    // Once parsed it needs several times the 48 MiB parse heap, every time.
    writeFileSync(join(folder, 'exhausts-heap.json'), heapHungryJson(1_500_000));
    cluster = await startCluster({
      workers: 2,
      env: { SLUICE_PARSE_MAX_HEAP_MB: '48', SLUICE_MAX_ATTEMPTS: '2', SLUICE_PARSE_PROCESSES: '1' },
    });
    const pids = cluster.workers.map((w) => w.child.pid);
    const { batchId, documents } = await cluster.upload(readdirSync(folder).map((name) => join(folder, name)));
    expect(documents).toHaveLength(100);

    const final = await cluster.waitForBatch(batchId);
    expect(final.counts).toEqual({ completed: 99, failed: 1 });
    const failed = await cluster.db.query<{
      source: string;
      error_code: string;
      attempts: number;
      error_message: string;
    }>(`SELECT source, error_code, attempts, error_message FROM documents WHERE state = 'failed'`);
    // Retried while attempts last (a process may also die of a neighbour's load), then failed for good.
    expect(failed.rows.map(({ source, error_code, attempts }) => ({ source, error_code, attempts }))).toEqual([
      { source: 'exhausts-heap.json', error_code: 'worker_crashed', attempts: 2 },
    ]);
    expect(failed.rows[0]!.error_message).toMatch(/48 MiB heap limit/);

    // The same two worker processes are alive and heartbeating: a poison file costs a parse process, not a worker.
    expect(cluster.workers.every((w) => w.child.exitCode === null && w.child.signalCode === null)).toBe(true);
    const status = (await (
      await fetch(`${cluster.url}/v1/status`, { headers: { authorization: `Bearer ${cluster.apiKey}` } })
    ).json()) as {
      workers: { pid: number }[];
    };
    expect(status.workers.map((w) => w.pid).sort()).toEqual([...pids].sort());
  });

  it('embedded: a file whose parse blocks far past the time limit fails with parse_timeout at once; the rest complete', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-hang-'));
    const folder = join(root, 'corpus');
    writeCorpus(folder, 19, 9, 10);
    // One JSON.parse of this blocks its thread for over a second: no parser can stop itself inside it.
    writeFileSync(join(folder, 'hangs.json'), heapHungryJson(600_000));
    const dataDir = join(root, 'data');
    const run = await runCli(['ingest', folder, '-c', 'docs', '-d', dataDir], { SLUICE_PARSE_TIMEOUT_MS: '300' });
    // Exit code 1: the run finished with a failed document, and says which.
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/hangs\.json.*parse_timeout/s);
    const db = new Database(join(dataDir, 'sluice.db'), { readonly: true });
    try {
      const rows = db
        .prepare(
          'SELECT state, error_code, attempts, count(*) AS n FROM documents GROUP BY state, error_code, attempts',
        )
        .all();
      expect(rows).toEqual([
        { state: 'completed', error_code: null, attempts: 1, n: 19 },
        { state: 'failed', error_code: 'parse_timeout', attempts: 1, n: 1 },
      ]);
    } finally {
      db.close();
    }
  });
});
