import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startFakeEmbeddingsServer } from '../helpers/fake-embeddings-server.js';
import { runCli, startCli } from '../helpers/run-cli.js';

interface StatusJson {
  workers: { id: string }[];
  stalled: { documentId: string; state: string; workerId: string | null }[];
  waiting: { forWorker: { documents: number }; forTenantShare: { documents: number } };
}

describe('stalled documents, one SQLite ledger shared by worker processes', { timeout: 120_000 }, () => {
  it('status names a document whose worker died mid-attempt; a live worker takes it over within seconds and completes it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-stalled-'));
    const folder = join(root, 'corpus');
    mkdirSync(folder);
    const paragraphs = Array.from({ length: 300 }, (_, p) =>
      `Paragraph ${p} about leases, heartbeats and workers that die mid-attempt. `.repeat(6),
    );
    writeFileSync(join(folder, 'long.md'), `# Long\n\n${paragraphs.join('\n\n')}\n`);
    const fake = await startFakeEmbeddingsServer(32, () => ({ kind: 'slow', ms: 800 }));
    const dataDir = join(root, 'data');
    const env = {
      SLUICE_EMBEDDER: 'openai',
      SLUICE_OPENAI_BASE_URL: fake.url,
      SLUICE_EMBED_DIMENSION: '32',
      SLUICE_EMBED_BATCH_SIZE: '4',
      SLUICE_LOG_LEVEL: 'warn',
    };
    try {
      expect((await runCli(['ingest', folder, '-c', 'docs', '-d', dataDir, '--no-wait'], env)).code).toBe(0);
      const first = startCli(['worker', '-d', dataDir], env);
      await expect.poll(() => fake.calls.length, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(2);
      // A second worker on the same ledger leaves the first one's running document alone.
      const second = startCli(['worker', '-d', dataDir], env);
      const status = async (): Promise<StatusJson> =>
        JSON.parse((await runCli(['status', '--json', '-d', dataDir], env)).stdout) as StatusJson;
      await expect.poll(async () => (await status()).workers.length, { timeout: 30_000, interval: 200 }).toBe(2);
      const db = new Database(join(dataDir, 'sluice.db'), { readonly: true });
      const row = db.prepare<
        [],
        { state: string; attempts: number; chunks_total: number; chunks: number; worker_id: string }
      >('SELECT state, attempts, chunks_total, worker_id, (SELECT count(*) FROM chunks) AS chunks FROM documents');
      try {
        await new Promise((resolve) => setTimeout(resolve, 2500));
        expect(row.get()).toMatchObject({ state: 'embedding', attempts: 1 });
        const callsAtTakeover = { n: 0 };
        const callsBeforeTakeover = () => callsAtTakeover.n;
        expect((await status()).stalled).toEqual([]);

        // The first worker dies mid-attempt. Its heartbeat is still fresh, but its process is gone:
        // the live worker takes the document over within seconds.
        // (About 18 calls of 0.8 s make an attempt: it is still running.)
        expect(row.get()).toMatchObject({ state: 'embedding', attempts: 1 });
        first.child.kill('SIGKILL');
        await first.done;
        const killedAt = Date.now();
        callsAtTakeover.n = fake.calls.length;
        const secondId = (await status()).workers[0]!.id;
        await expect.poll(() => row.get()?.attempts, { timeout: 10_000, interval: 50 }).toBe(2);
        console.log(`stalled: taken over ${Date.now() - killedAt} ms after its worker was killed`);
        expect(row.get()!.worker_id).toBe(secondId);

        // Then that worker dies too, and none is left: status names the document and its dead worker.
        await expect
          .poll(() => fake.calls.length, { timeout: 30_000, interval: 20 })
          .toBeGreaterThanOrEqual(callsBeforeTakeover() + 2);
        second.child.kill('SIGKILL');
        await second.done;
        const seen = await status();
        expect(seen.workers).toEqual([]);
        expect(seen.stalled).toEqual([expect.objectContaining({ state: 'embedding', workerId: secondId })]);

        // A new worker takes it over at start and completes it once.
        const third = startCli(['worker', '-d', dataDir], env);
        try {
          await expect.poll(() => row.get()?.state, { timeout: 60_000, interval: 200 }).toBe('completed');
          const done = row.get()!;
          expect(done.attempts).toBe(3);
          expect(done.chunks).toBe(done.chunks_total);
          expect((await status()).stalled).toEqual([]);
        } finally {
          third.child.kill('SIGTERM');
          expect((await third.done).code).toBe(0);
        }
      } finally {
        db.close();
        // A failed assertion must not leave workers behind.
        for (const worker of [first, second]) {
          if (worker.child.exitCode === null && worker.child.signalCode === null) {
            worker.child.kill('SIGKILL');
          }
        }
      }
    } finally {
      await fake.close();
    }
  });
});
