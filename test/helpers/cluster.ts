import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { startCli, type CliResult } from './run-cli.js';
import { startTestPostgres, type TestPostgres } from './postgres.js';
import { startTestRedis, type TestRedis } from './redis.js';
import { freePort } from './free-port.js';

export interface ClusterProcess {
  child: ReturnType<typeof startCli>['child'];
  done: Promise<CliResult>;
  output(): string;
}

export interface Cluster {
  url: string;
  apiKey: string;
  redis: TestRedis;
  /** The Postgres ledger (throws with a SQLite ledger: open `ledgerPath` instead). */
  db: pg.Client;
  /** The shared SQLite ledger's file, when the cluster runs on one. */
  ledgerPath?: string;
  /** The environment every process of the cluster gets (DATABASE_URL, REDIS_URL, …). */
  env: Record<string, string>;
  /** The API process (`serve --no-workers`). */
  api: ClusterProcess;
  workers: ClusterProcess[];
  /** Starts one more `sluice worker` process (returns its index in `workers`). */
  startWorker(env?: Record<string, string>): number;
  upload(
    files: string[],
    collection?: string,
  ): Promise<{ batchId: string; documents: { id: string; source: string }[] }>;
  batch(batchId: string): Promise<BatchAnswer>;
  waitForBatch(batchId: string, timeoutMs?: number): Promise<BatchAnswer>;
  /** Files under the blob folders of every process's own data folder (raw or staged). */
  localBlobFiles(): string[];
  stop(): Promise<void>;
}

export interface BatchAnswer {
  finished: boolean;
  counts: Record<string, number>;
  progress: { files_total: number; files_done: number };
}

export interface ClusterOptions {
  workers: number;
  /** Extra environment for every process (embedder settings, attempts). */
  env?: Record<string, string>;
  /**
   * The ledger every process shares: Postgres (the default), or one SQLite file, where a test needs
   * more writes than PGlite (a test stand-in, about 1,300 rows/s) can take in reasonable time.
   */
  ledger?: 'postgres' | 'sqlite';
  /** A PostgreSQL server's database to use as the ledger, instead of PGlite's (see `pg-server.ts`). */
  databaseUrl?: string;
  /**
   * Raw files in a bucket (`SLUICE_BLOB_URL`, with the AWS variables that reach it) instead of a blob
   * folder all processes share: each then has a data folder of its own and nothing else in common.
   */
  blobs?: { url: string; env: Record<string, string> };
}

/**
 * A distributed Sluice on one machine: its own redis-server (append-only, as production runs it for
 * BullMQ), Postgres with pgvector (PGlite over the wire, or TEST_DATABASE_URL), one API process
 * (`serve --no-workers`) and worker processes (`sluice worker`), all real processes sharing a blob
 * folder. Locks are short so that a killed worker's job is taken over in seconds.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const root = mkdtempSync(join(tmpdir(), 'sluice-cluster-'));
  const redis = await startTestRedis({ appendOnly: true });
  const sqlite = options.ledger === 'sqlite';
  const postgres: TestPostgres | undefined = sqlite || options.databaseUrl ? undefined : await startTestPostgres();
  const databaseUrl = options.databaseUrl ?? (postgres ? await postgres.freshDatabaseUrl() : undefined);
  // With SQLite, every process opens the same file in the same data folder.
  const dataDir = (name: string): string => join(root, sqlite ? 'shared' : name);
  const env: Record<string, string> = {
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    REDIS_URL: redis.url,
    ...(options.blobs
      ? { SLUICE_BLOB_URL: options.blobs.url, ...options.blobs.env }
      : { SLUICE_BLOB_DIR: join(root, 'blobs') }),
    SLUICE_LOCK_DURATION_MS: '2000',
    SLUICE_STALLED_INTERVAL_MS: '1000',
    SLUICE_RETRY_BASE_MS: '50',
    SLUICE_LOG_LEVEL: 'warn',
    ...options.env,
  };
  const track = (started: ReturnType<typeof startCli>): ClusterProcess => {
    let output = '';
    started.child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    started.child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    return { ...started, output: () => output };
  };
  const port = await freePort();
  const api = track(
    startCli(['serve', '--no-workers', '--port', String(port), '--host', '127.0.0.1', '-d', dataDir('api')], env),
  );
  await expect.poll(() => api.output(), { timeout: 30_000 }).toMatch(/listening on/);
  const apiKey = /(sk_[\w-]+)/.exec(api.output())?.[1] as string;
  const url = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${apiKey}` };
  const workers: ClusterProcess[] = [];
  const startWorker = (extra: Record<string, string> = {}): number => {
    const dir = dataDir(`worker-${workers.length}`);
    workers.push(track(startCli(['worker', '-d', dir, '--concurrency', '2'], { ...env, ...extra })));
    return workers.length - 1;
  };
  for (let i = 0; i < options.workers; i++) {
    startWorker();
  }
  let db: pg.Client | undefined;
  if (databaseUrl) {
    db = new pg.Client({ connectionString: databaseUrl });
    // A test may stop the server under it; its queries then fail, and the test process stays up.
    db.on('error', () => undefined);
    await db.connect();
  }

  const batch = async (batchId: string) => {
    const response = await fetch(`${url}/v1/batches/${batchId}`, { headers });
    return (await response.json()) as BatchAnswer;
  };
  return {
    url,
    apiKey,
    redis,
    get db(): pg.Client {
      if (!db) {
        throw new Error(`this cluster's ledger is SQLite: open ${join(root, 'shared', 'sluice.db')}`);
      }
      return db;
    },
    ...(sqlite ? { ledgerPath: join(root, 'shared', 'sluice.db') } : {}),
    env,
    api,
    workers,
    startWorker,
    async upload(files, collectionName = 'docs') {
      const created = await fetch(`${url}/v1/collections`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name: collectionName }),
      });
      const collection = ((await created.json()) as { id: string }).id;
      const form = new FormData();
      for (const file of files) {
        form.append('files', new Blob([readFileSync(file)]), basename(file));
      }
      const response = await fetch(`${url}/v1/collections/${collection}/documents`, {
        method: 'POST',
        headers,
        body: form,
      });
      expect(response.status).toBe(202);
      const body = (await response.json()) as { batch: { id: string }; documents: { id: string; source: string }[] };
      return { batchId: body.batch.id, documents: body.documents };
    },
    batch,
    async waitForBatch(batchId, timeoutMs = 120_000) {
      await expect.poll(async () => (await batch(batchId)).finished, { timeout: timeoutMs, interval: 250 }).toBe(true);
      return batch(batchId);
    },
    localBlobFiles() {
      return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
        (path) => /(^|\/)blobs\//.test(path) && statSync(join(root, path)).isFile(),
      );
    },
    async stop() {
      await db?.end().catch(() => undefined);
      for (const p of [api, ...workers]) {
        if (p.child.exitCode === null && p.child.signalCode === null) {
          p.child.kill('SIGTERM');
        }
      }
      await Promise.all([api, ...workers].map((p) => p.done));
      await redis.stop();
      await postgres?.stop();
    },
  };
}
