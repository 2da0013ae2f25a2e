import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { writeCorpus } from '../helpers/corpus.js';
import { freePort } from '../helpers/free-port.js';
import { prng } from '../helpers/prng.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { form } from '../helpers/test-server.js';

/** Keys of the raw files stored under their key, and of those a removal had set aside. */
function blobsOf(dataDir: string): { stored: Set<string>; aside: Set<string> } {
  const root = join(dataDir, 'blobs');
  const stored = new Set(
    readdirSync(root)
      .filter((name) => /^[0-9a-f]{2}$/.test(name))
      .flatMap((prefix) => readdirSync(join(root, prefix))),
  );
  const trash = join(root, 'trash');
  const aside = new Set(existsSync(trash) ? readdirSync(trash).map((name) => name.slice(0, 64)) : []);
  return { stored, aside };
}

/** The content hashes the ledger's documents refer to. */
function referenced(dataDir: string): Set<string> {
  const db = new Database(join(dataDir, 'sluice.db'), { readonly: true });
  try {
    return new Set(db.prepare("SELECT DISTINCT sha256 FROM documents WHERE sha256 != ''").pluck().all() as string[]);
  } finally {
    db.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Deletes and sweeps killed at random moments', () => {
  it('never leave a document without its raw file, and after a sweep no raw file without a document', async () => {
    const random = prng(31);
    const root = mkdtempSync(join(tmpdir(), 'sluice-crash-gc-'));
    const folder = join(root, 'docs');
    const names = writeCorpus(folder, 60, 11, 8);
    for (const name of names.slice(0, 15)) {
      copyFileSync(join(folder, name), join(folder, `copy-${name}`));
    }
    const dataDir = join(root, 'data');
    expect((await runCli(['ingest', folder, '-c', 'docs', '-d', dataDir])).code).toBe(0);
    let adminKey = '';

    for (let round = 0; round < 4; round++) {
      const port = await freePort();
      const serve = startCli(['serve', '--port', String(port), '--host', '127.0.0.1', '-d', dataDir], {
        SLUICE_SWEEP_INTERVAL_MS: '40',
        SLUICE_LOG_LEVEL: 'error',
      });
      let output = '';
      serve.child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      const deadline = Date.now() + 20_000;
      while (!/listening on/.test(output) && Date.now() < deadline) {
        await sleep(20);
      }
      expect(output).toMatch(/listening on/);
      adminKey ||= /(sk_[\w-]+)/.exec(output)?.[1] ?? '';
      const url = `http://127.0.0.1:${port}`;
      const headers = { authorization: `Bearer ${adminKey}` };
      const collections = (await (await fetch(`${url}/v1/collections`, { headers })).json()) as {
        collections: { id: string }[];
      };
      const collectionId = collections.collections[0]?.id as string;
      const listed = (await (
        await fetch(`${url}/v1/documents?collection=${collectionId}&limit=500`, { headers })
      ).json()) as { documents: { id: string }[] };

      // Deletes, uploads of bytes already stored, and a `sluice gc` beside the server's own sweeps.
      const gc = startCli(['gc', '-d', dataDir, '--wait', '5']);
      const work = [
        ...listed.documents
          .filter(() => random() < 0.3)
          .map((doc) =>
            fetch(`${url}/v1/documents/${doc.id}`, { method: 'DELETE', headers, signal: AbortSignal.timeout(10_000) })
              .then((response) => response.arrayBuffer())
              .catch(() => undefined),
          ),
        ...names
          .filter(() => random() < 0.2)
          .map((name) =>
            fetch(`${url}/v1/collections/${collectionId}/documents`, {
              method: 'POST',
              headers,
              body: form([{ name: `again-${round}-${name}`, content: readFileSync(join(folder, name)) }]),
              signal: AbortSignal.timeout(10_000),
            })
              .then((response) => response.arrayBuffer())
              .catch(() => undefined),
          ),
      ];
      await sleep(50 + Math.floor(random() * 400));
      // Killed processes: their parse processes may hold the pipes a while longer, so wait for the exit.
      const exited = [serve, gc].map(({ child }) =>
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise((resolve) => child.once('exit', resolve)),
      );
      serve.child.kill('SIGKILL');
      gc.child.kill('SIGKILL');
      await Promise.all(exited);
      await Promise.allSettled(work);

      // Right after the kill: every document's raw file can still be read, under its key or set aside.
      const { stored, aside } = blobsOf(dataDir);
      const missing = [...referenced(dataDir)].filter((key) => !stored.has(key) && !aside.has(key));
      expect(missing).toEqual([]);
    }

    const gc = await runCli(['gc', '--json', '-d', dataDir]);
    expect(gc.code).toBe(0);
    const { stored, aside } = blobsOf(dataDir);
    expect(aside).toEqual(new Set());
    expect(stored).toEqual(referenced(dataDir));
    expect(readdirSync(join(dataDir, 'blobs', 'tmp'))).toEqual([]);
  });
});
