import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { writeCorpus } from '../helpers/corpus.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function upload(
  c: Cluster,
  key: string,
  collection: string,
  paths: string[],
): Promise<{ batch: { id: string }; documents: { id: string }[] }> {
  const headers = { authorization: `Bearer ${key}` };
  const created = await fetch(`${c.url}/v1/collections`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ name: collection }),
  });
  const { id } = (await created.json()) as { id: string };
  const body = new FormData();
  for (const path of paths) {
    body.append('files', new Blob([readFileSync(path)]), basename(path));
  }
  const response = await fetch(`${c.url}/v1/collections/${id}/documents`, { method: 'POST', headers, body });
  expect(response.status).toBe(202);
  return (await response.json()) as { batch: { id: string }; documents: { id: string }[] };
}

describe('fair scheduling, distributed (API process, worker processes, Redis)', { timeout: 180_000 }, () => {
  it("tenant B's one file completes before tenant A's 100th, though A queued 2,000 first", async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-fair-'));
    writeCorpus(join(root, 'a'), 2000, 3, 4);
    writeCorpus(join(root, 'b'), 1, 4, 4);
    // A shared SQLite ledger: 2,000 registrations are more than PGlite takes in a test's time (the
    // Postgres store passes the same dispatch contract test).
    cluster = await startCluster({ workers: 0, ledger: 'sqlite' });
    const created = await fetch(`${cluster.url}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cluster.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'b' }),
    });
    const bKey = ((await created.json()) as { key: { api_key: string } }).key.api_key;

    // A's 2,000 are all queued before B's one arrives (two requests: at most 1,000 files go in one).
    const aFiles = readdirSync(join(root, 'a')).map((name) => join(root, 'a', name));
    await upload(cluster, cluster.apiKey, 'a', aFiles.slice(0, 1000));
    await upload(cluster, cluster.apiKey, 'a', aFiles.slice(1000));
    const b = await upload(cluster, bKey, 'b', [join(root, 'b', readdirSync(join(root, 'b'))[0]!)]);
    const bDoc = b.documents[0]!.id;
    cluster.startWorker();
    cluster.startWorker();

    const db = new Database(cluster.ledgerPath, { readonly: true });
    try {
      const stateOf = db.prepare<[string], { state: string }>('SELECT state FROM documents WHERE id = ?');
      await expect.poll(() => stateOf.get(bDoc)?.state, { timeout: 120_000, interval: 100 }).toBe('completed');
      const measured = db
        .prepare<[{ b: string }], { ahead: number; a_completed: number; a_waiting: number }>(
          `SELECT
             sum(d.state = 'completed' AND d.completed_at < (SELECT completed_at FROM documents WHERE id = @b)) AS ahead,
             sum(d.state = 'completed') AS a_completed,
             sum(d.state = 'queued' AND d.dispatched_at IS NULL) AS a_waiting
           FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = 'a'`,
        )
        .get({ b: bDoc })!;
      console.log(`fair scheduling: ${measured.ahead} of tenant A's 2,000 documents completed before tenant B's one`);
      expect(measured.ahead).toBeLessThan(100);
      // A was far from done: B did not merely wait for A to finish.
      expect(measured.a_completed).toBeLessThan(2000);
      expect(measured.a_waiting).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
