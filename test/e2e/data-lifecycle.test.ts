import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';
import { client, form, startTestServer, type TestServer } from '../helpers/test-server.js';

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path, { throwIfNoEntry: false })?.isFile() === true);
}

/** Files under the folder whose bytes hold `needle`. */
const filesHolding = (dir: string, needle: string): string[] =>
  filesUnder(dir).filter((path) => readFileSync(path).includes(Buffer.from(needle)));

/** Raw files in the blob folder (content-addressed: `ab/abcdef…`). */
const blobFiles = (dataDir: string): string[] =>
  filesUnder(join(dataDir, 'blobs')).filter((path) => /\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(path));

async function untilFinished(api: ReturnType<typeof client>, batchId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const batch = await api('GET', `/v1/batches/${batchId}`);
    if (batch.body.finished) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`batch ${batchId} did not finish`);
}

const stores = [
  { name: 'SQLite', postgres: false },
  { name: 'PostgreSQL', postgres: true },
];

describe.each(stores)('Deleting data on $name', ({ postgres }) => {
  let pgServer: TestPostgres | undefined;
  let databaseUrl: string | undefined;
  let t: TestServer;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    if (postgres) {
      pgServer = await startTestPostgres();
      databaseUrl = await pgServer.freshDatabaseUrl();
    }
    t = await startTestServer({
      concurrency: 2,
      maxUploadFiles: 20,
      maxRequestBytes: 1_000_000,
      sweepIntervalMs: 300,
      ...(databaseUrl ? { databaseUrl } : {}),
    });
    api = client(t.url, t.adminKey);
  });
  afterAll(async () => {
    await t.close();
    await pgServer?.stop();
  });

  it('leaves no byte of a deleted document under the data folder after `sluice gc`, and keeps the rest searchable', async () => {
    const canary = `swordfish${randomBytes(6).toString('hex')}`;
    const collection = (await api('POST', '/v1/collections', { name: 'canary' })).body;
    const upload = async (name: string, content: string): Promise<{ id: string; sha256: string }> => {
      const answer = await api('POST', `/v1/collections/${collection.id}/documents`, form([{ name, content }]));
      expect(answer.status).toBe(202);
      await untilFinished(api, answer.body.batch.id);
      return answer.body.documents[0];
    };
    // Uploaded one by one, the documents' text lands in several segments of the full-text index.
    const secret = await upload('secret.txt', `The launch code is ${canary}. Keep it safe.\n`);
    const kept = await upload('kept.txt', 'Apples and pears grow in the orchard behind the house.\n');
    const others = [];
    for (let i = 0; i < 4; i++) {
      others.push(await upload(`other-${i}.txt`, `Notes number ${i} about the weather and the garden.\n`));
    }
    const found = await api('POST', `/v1/collections/${collection.id}/query`, { query: canary, mode: 'text' });
    expect(found.body.hits.length).toBeGreaterThan(0);
    expect(filesHolding(t.app.config.dataDir, canary).length).toBeGreaterThan(0);

    expect((await api('DELETE', `/v1/documents/${secret.id}`)).status).toBe(204);
    // The raw file goes with the document; the database's leftovers go with `sluice gc`.
    expect(
      blobFiles(t.app.config.dataDir)
        .map((path) => path.slice(-64))
        .sort(),
    ).toEqual([kept, ...others].map((doc) => doc.sha256).sort());
    const gc = await runCli(
      ['gc', '--json', '-d', t.app.config.dataDir],
      databaseUrl ? { DATABASE_URL: databaseUrl } : {},
    );
    expect(gc.stderr).toBe('');
    expect(gc.code).toBe(0);
    const report = JSON.parse(gc.stdout);
    expect(report.errors).toEqual([]);
    expect(report.compaction.notDone).toEqual([]);

    expect(filesHolding(t.app.config.dataDir, canary)).toEqual([]);
    const after = await api('POST', `/v1/collections/${collection.id}/query`, { query: canary, mode: 'text' });
    expect(after.body.hits).toEqual([]);
    const orchard = await api('POST', `/v1/collections/${collection.id}/query`, { query: 'orchard', mode: 'text' });
    expect(orchard.body.hits.map((hit: { document_id: string }) => hit.document_id)).toEqual([kept.id]);
    if (databaseUrl) {
      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      const rows = await db.query(
        "SELECT (SELECT count(*) FROM chunks WHERE text LIKE '%' || $1 || '%')::int AS chunks, (SELECT count(*) FROM events WHERE data::text LIKE '%' || $1 || '%')::int AS events",
        [canary],
      );
      await db.end();
      expect(rows.rows[0]).toEqual({ chunks: 0, events: 0 });
    }
  });

  it('removes a raw file when its last document goes: with a document, a collection, a tenant', async () => {
    const tenant = await api('POST', '/v1/tenants', { name: `owner-${randomBytes(3).toString('hex')}` });
    const owner = client(t.url, tenant.body.key.api_key);
    const a = (await owner('POST', '/v1/collections', { name: 'a' })).body;
    const b = (await owner('POST', '/v1/collections', { name: 'b' })).body;
    const shared = `shared text ${randomBytes(8).toString('hex')}\n`;
    const own = `own text ${randomBytes(8).toString('hex')}\n`;
    const inA = await owner(
      'POST',
      `/v1/collections/${a.id}/documents`,
      form([
        { name: 'x.txt', content: shared },
        { name: 'y.txt', content: own },
      ]),
    );
    const inB = await owner('POST', `/v1/collections/${b.id}/documents`, form([{ name: 'x.txt', content: shared }]));
    await untilFinished(owner, inA.body.batch.id);
    await untilFinished(owner, inB.body.batch.id);
    const [x, y] = inA.body.documents as { id: string; sha256: string }[];
    // Another tenant holds the same bytes as y.
    const other = await api('POST', '/v1/collections', { name: `other-${randomBytes(3).toString('hex')}` });
    const theirs = await api(
      'POST',
      `/v1/collections/${other.body.id}/documents`,
      form([{ name: 'y.txt', content: own }]),
    );
    await untilFinished(api, theirs.body.batch.id);
    const stored = () => blobFiles(t.app.config.dataDir).map((path) => path.slice(-64));

    expect((await owner('DELETE', `/v1/documents/${x!.id}`)).status).toBe(204);
    expect(stored()).toContain(x!.sha256);
    expect((await owner('GET', `/v1/collections/${b.id}`)).body.stats).toMatchObject({
      documents: 1,
      stored_bytes: shared.length,
    });
    expect((await owner('DELETE', `/v1/collections/${b.id}`)).status).toBe(204);
    expect(stored()).not.toContain(x!.sha256);

    // The default tenant holds the admin key: it cannot be deleted over the API.
    const me = await api('GET', '/v1/tenants/' + (await t.app.defaultTenant()).id);
    expect((await api('DELETE', `/v1/tenants/${me.body.id}`)).status).toBe(403);
    expect((await owner('DELETE', `/v1/tenants/${tenant.body.tenant.id}`)).status).toBe(403);
    expect((await api('DELETE', `/v1/tenants/${tenant.body.tenant.id}`)).status).toBe(204);
    expect((await owner('GET', `/v1/collections/${a.id}`)).status).toBe(401);
    expect((await api('GET', `/v1/tenants/${tenant.body.tenant.id}`)).status).toBe(404);
    expect((await api('DELETE', `/v1/tenants/${tenant.body.tenant.id}`)).status).toBe(404);
    // y's bytes are still another tenant's document.
    expect(stored()).toContain(y!.sha256);
    expect((await api('GET', `/v1/documents/${theirs.body.documents[0].id}`)).body.state).toBe('completed');
  });

  it('removes the raw file of a version a new upload of its source replaced', async () => {
    const collection = (await api('POST', '/v1/collections', { name: `versions-${randomBytes(3).toString('hex')}` }))
      .body;
    const put = async (content: string) => {
      const answer = await api(
        'POST',
        `/v1/collections/${collection.id}/documents`,
        form([{ name: 'notes.txt', content }]),
      );
      await untilFinished(api, answer.body.batch.id);
      return answer.body.documents[0] as { id: string; sha256: string };
    };
    const first = await put(`first version ${randomBytes(8).toString('hex')}\n`);
    const second = await put(`second version ${randomBytes(8).toString('hex')}\n`);
    expect(second.id).toBe(first.id);
    const stored = blobFiles(t.app.config.dataDir).map((path) => path.slice(-64));
    expect(stored).toContain(second.sha256);
    expect(stored).not.toContain(first.sha256);
  });

  it('keeps nothing of a refused request: over a quota, too many files, too many bytes', async () => {
    const tenant = await api('POST', '/v1/tenants', { name: `quota-${randomBytes(3).toString('hex')}` });
    await api('PATCH', `/v1/tenants/${tenant.body.tenant.id}/limits`, { max_bytes: 1000 });
    const small = client(t.url, tenant.body.key.api_key);
    const collection = (await small('POST', '/v1/collections', { name: 'c' })).body;
    const before = stored();
    const refused = [
      await small(
        'POST',
        `/v1/collections/${collection.id}/documents`,
        form([{ name: 'big.txt', content: 'q'.repeat(50_000) }]),
      ),
      await small(
        'POST',
        `/v1/collections/${collection.id}/documents`,
        form(
          Array.from({ length: 21 }, (_, i) => ({
            name: `f${i}.txt`,
            content: `file ${i} ${randomBytes(4).toString('hex')}`,
          })),
        ),
      ),
      await small(
        'POST',
        `/v1/collections/${collection.id}/documents`,
        form([
          { name: 'a.txt', content: 'a'.repeat(600_000) },
          { name: 'b.txt', content: 'b'.repeat(600_000) },
        ]),
      ),
    ];
    expect(refused.map((r) => [r.status, r.body.code])).toEqual([
      [403, 'quota_exceeded'],
      [413, 'too_many_files'],
      [413, 'request_too_large'],
    ]);
    expect(stored()).toEqual(before);
    expect(filesUnder(join(t.app.config.dataDir, 'blobs', 'tmp'))).toEqual([]);

    function stored(): string[] {
      return blobFiles(t.app.config.dataDir).sort();
    }
  });

  it('lets go at once of what an upload whose process died held, and keeps what live and remote ones hold', async () => {
    const [dead, live, remote] = ['d', 'c', 'b'].map((digit) => digit.repeat(64)) as [string, string, string];
    for (const key of [dead, live, remote]) {
      mkdirSync(join(t.app.config.dataDir, 'blobs', key.slice(0, 2)), { recursive: true });
      writeFileSync(join(t.app.config.dataDir, 'blobs', key.slice(0, 2), key), 'stored, its document not yet recorded');
    }
    // pid 2^22 + 1 is above Linux's pid_max: no process has it.
    await t.app.store.holdBlobs([dead], 15 * 60_000, `${hostname()}/${2 ** 22 + 1}`);
    const liveHold = await t.app.store.holdBlobs([live], 15 * 60_000, `${hostname()}/${process.pid}`);
    const remoteHold = await t.app.store.holdBlobs([remote], 15 * 60_000, `another-host/${2 ** 22 + 1}`);
    const path = (key: string) => join(t.app.config.dataDir, 'blobs', key.slice(0, 2), key);
    const deadline = Date.now() + 10_000;
    while (existsSync(path(dead)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(existsSync(path(dead))).toBe(false);
    expect(existsSync(path(live))).toBe(true);
    expect(existsSync(path(remote))).toBe(true);
    expect((await t.app.store.blobHolds()).sort()).toEqual([liveHold, remoteHold].sort());
    await t.app.store.releaseBlobHold(liveHold);
    await t.app.store.releaseBlobHold(remoteHold);
  });

  it('sweeps on its own: a raw file nothing refers to goes, and status and metrics tell what was swept', async () => {
    const orphan = join(t.app.config.dataDir, 'blobs', 'ee', 'e'.repeat(64));
    mkdirSync(join(t.app.config.dataDir, 'blobs', 'ee'), { recursive: true });
    writeFileSync(orphan, 'stored, then the process died before its document was recorded');
    const deadline = Date.now() + 10_000;
    while (existsSync(orphan) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(existsSync(orphan)).toBe(false);
    // The report of a sweep that ran after the orphan went (the one that removed it records its report last).
    const goneAt = new Date().toISOString();
    let status = await api('GET', '/v1/status');
    while (!(status.body.last_sweep?.at > goneAt) && Date.now() < deadline + 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await api('GET', '/v1/status');
    }
    expect(status.body.disk.database_bytes).toBeGreaterThan(0);
    expect(status.body.disk.blobs.files).toBe(blobFiles(t.app.config.dataDir).length);
    expect(status.body.last_sweep).toMatchObject({ errors: [] });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/^sluice_disk_bytes\{kind="database"\} [1-9]/m);
    expect(metrics).toMatch(/^sluice_disk_bytes\{kind="blobs"\} /m);
    expect(metrics).toMatch(/^sluice_sweep_last_timestamp_seconds [1-9]/m);
  });
});
