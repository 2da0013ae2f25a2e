import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startingReport } from '../../src/services/scan-source.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { client, startTestServer, type TestServer } from '../helpers/test-server.js';

describe('Buckets as sources: sluice ingest s3://… and /v1/sources', () => {
  let s3: TestS3;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    s3 = await startTestS3();
    Object.assign(process.env, s3.env);
  });
  afterAll(async () => {
    await s3.stop();
    process.env = savedEnv;
  });

  const put = (bucket: string, key: string, body: string) =>
    s3.client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const remove = (bucket: string, key: string) =>
    s3.client().send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));

  /** The documents of a data folder's collection, read from its ledger. */
  async function documentsOf(data: string): Promise<{ id: string; source: string; state: string }[]> {
    const store = createSqliteStore({ path: join(data, 'sluice.db'), textSearchThread: false });
    try {
      const collection = (await store.listCollections((await store.ensureTenant('default')).id))[0];
      const docs = await store.listDocuments({ collectionId: collection?.id as string, limit: 1000 });
      return docs
        .map((d) => ({ id: d.id, source: d.source, state: d.state }))
        .sort((a, b) => a.source.localeCompare(b.source));
    } finally {
      await store.close();
    }
  }

  it('ingests a prefix with patterns, reads nothing unchanged again, and follows changes with --prune', async () => {
    const bucket = await s3.newBucket();
    await put(bucket, 'docs/a.md', '# Alpha\n\nThe alpha page talks about aardvarks.');
    await put(bucket, 'docs/b.txt', 'The bravo file mentions badgers.');
    await put(bucket, 'docs/sub/c.md', 'Charlie, deeper down, mentions capybaras.');
    await put(bucket, 'docs/drafts/d.md', 'A draft about dingoes, left out.');
    await put(bucket, 'docs/logo.svg', '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    await put(bucket, 'other/e.md', 'Outside the prefix: echidnas.');
    const data = mkdtempSync(join(tmpdir(), 'sluice-sources-'));
    const ingest = (...extra: string[]) =>
      runCli([
        'ingest',
        `s3://${bucket}/docs/`,
        '-c',
        'docs',
        '-d',
        data,
        '--exclude',
        'drafts/**',
        '--exclude',
        '*.svg',
        ...extra,
      ]);

    const first = await ingest();
    expect(first.stderr).not.toMatch(/error|could not read/);
    expect(first.stdout).toMatch(/Scanned: 5 objects listed, 3 matched, 0 unchanged, 3 read, 0 pruned, 0 unreadable/);
    expect(first.stdout).toMatch(/3 completed, 0 skipped as duplicate, 0 failed/);
    expect(first.code).toBe(0);
    const before = await documentsOf(data);
    expect(before.map((d) => [d.source, d.state])).toEqual([
      [`s3://${bucket}/docs/a.md`, 'completed'],
      [`s3://${bucket}/docs/b.txt`, 'completed'],
      [`s3://${bucket}/docs/sub/c.md`, 'completed'],
    ]);
    const hits = await runCli(['query', 'capybaras', '-c', 'docs', '-m', 'text', '--json', '-d', data]);
    expect((JSON.parse(hits.stdout) as { source: string }[])[0]?.source).toBe(`s3://${bucket}/docs/sub/c.md`);
    const within = async (prefix: string) =>
      (
        JSON.parse(
          (await runCli(['query', 'mentions', '-c', 'docs', '-m', 'text', '--json', '-d', data, '--source', prefix]))
            .stdout,
        ) as { source: string }[]
      ).map((h) => h.source);
    expect(await within(`s3://${bucket}/docs/sub/`)).toEqual([`s3://${bucket}/docs/sub/c.md`]);
    expect(await within(`s3://${bucket}/docs/b`)).toEqual([`s3://${bucket}/docs/b.txt`]);

    const again = await ingest();
    expect(again.stdout).toMatch(/Scanned: 5 objects listed, 3 matched, 3 unchanged, 0 read/);
    expect(again.code).toBe(0);
    expect(await documentsOf(data)).toEqual(before);

    await put(bucket, 'docs/b.txt', 'The bravo file now mentions beavers instead.');
    await remove(bucket, 'docs/a.md');
    await put(bucket, 'docs/sub/f.md', 'Foxtrot is new and mentions ferrets.');
    const changed = await ingest('--prune');
    expect(changed.stdout).toMatch(/Scanned: 5 objects listed, 3 matched, 1 unchanged, 2 read, 1 pruned, 0 unreadable/);
    expect(changed.code).toBe(0);
    const after = await documentsOf(data);
    expect(after.map((d) => [d.source, d.state])).toEqual([
      [`s3://${bucket}/docs/b.txt`, 'completed'],
      [`s3://${bucket}/docs/sub/c.md`, 'completed'],
      [`s3://${bucket}/docs/sub/f.md`, 'completed'],
    ]);
    // The changed object's new version took over its document.
    expect(after[0]?.id).toBe(before[1]?.id);
    const text = async (q: string) =>
      (
        JSON.parse((await runCli(['query', q, '-c', 'docs', '-m', 'text', '--json', '-d', data])).stdout) as {
          source: string;
        }[]
      ).map((h) => h.source);
    expect(await text('beavers')).toEqual([`s3://${bucket}/docs/b.txt`]);
    expect(await text('badgers')).toEqual([]);
    expect(await text('aardvarks')).toEqual([]);

    const missing = await runCli(['ingest', 's3://no-such-bucket-here/', '-c', 'docs', '-d', data]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\[storage_not_found\]/);
  });

  it('finishes at once a scan whose CLI was killed mid-way, each object ingested once', async () => {
    const bucket = await s3.newBucket();
    const keys = Array.from({ length: 12 }, (_, i) => `k/${String(i).padStart(2, '0')}.txt`);
    for (const key of keys) {
      await put(bucket, key, `Object ${key} says something of its own: ${key.repeat(3)}.`);
    }
    const data = mkdtempSync(join(tmpdir(), 'sluice-killed-scan-'));
    // Every read of the bucket takes 400 ms: the scan is still reading when it is killed.
    s3.failNext(40, { delayMs: 400 });
    const killed = startCli(['ingest', `s3://${bucket}/k/`, '-c', 'docs', '-d', data]);
    await expect
      .poll(async () => (await documentsOf(data)).length, { timeout: 20_000, interval: 100 })
      .toBeGreaterThan(0);
    killed.child.kill('SIGKILL');
    await killed.done;
    s3.heal();
    const again = await runCli(['ingest', `s3://${bucket}/k/`, '-c', 'docs', '-d', data]);
    expect(again.stderr).not.toMatch(/scan_running/);
    expect(again.code).toBe(0);
    const docs = await documentsOf(data);
    expect(docs.map((d) => d.source)).toEqual(keys.map((k) => `s3://${bucket}/${k}`));
    expect(docs.every((d) => d.state === 'completed')).toBe(true);
  });

  it('keeps what is searchable true to the objects: duplicates, re-writes, growth past the limit, prune', async () => {
    const bucket = await s3.newBucket();
    const data = mkdtempSync(join(tmpdir(), 'sluice-sources-truth-'));
    const ingest = (...extra: string[]) =>
      runCli(['ingest', `s3://${bucket}/t/`, '-c', 'docs', '-d', data, '--max-file-bytes', '200', ...extra]);
    const text = async (q: string) =>
      (
        JSON.parse((await runCli(['query', q, '-c', 'docs', '-m', 'text', '--json', '-d', data])).stdout) as {
          source: string;
        }[]
      ).map((h) => h.source);
    await put(bucket, 't/a.txt', 'Alpha talks about zebras grazing.');
    await put(bucket, 't/b.txt', 'Beta talks about giraffes eating leaves.');
    await put(bucket, 't/c.txt', 'Gamma mentions a hedgehog.');
    await put(bucket, 't/d.txt', 'Delta mentions walruses.');
    await put(bucket, 't/e.txt', 'Delta mentions walruses.');
    expect((await ingest()).stdout).toMatch(/4 completed, 1 skipped as duplicate, 0 failed/);

    // a now holds b's bytes; c's bytes are written again unchanged; c... grows past the limit below.
    await put(bucket, 't/a.txt', 'Beta talks about giraffes eating leaves.');
    await put(bucket, 't/c.txt', 'Gamma mentions a hedgehog.');
    const again = await ingest();
    expect(again.stdout).toMatch(/Scanned: 5 objects listed, 5 matched, 4 unchanged, 1 read/);
    expect(await text('zebras')).toEqual([]);
    await put(bucket, 't/c.txt', `Gamma grew: ${'hedgehog '.repeat(40)}`);
    const grown = await ingest();
    expect(grown.stdout).toMatch(/file_too_large/);
    expect(await text('hedgehog')).toEqual([]);

    // d, whose bytes e's document copies, is removed: e's bytes stay searchable.
    await remove(bucket, 't/d.txt');
    await remove(bucket, 't/a.txt');
    const pruned = await ingest('--prune');
    expect(pruned.stdout).toMatch(/Scanned: 3 objects listed, 3 matched, .* 2 pruned/);
    expect(await text('walruses')).toEqual([`s3://${bucket}/t/e.txt`]);
    expect(await text('giraffes')).toEqual([`s3://${bucket}/t/b.txt`]);
    const docs = await documentsOf(data);
    expect(docs.map((d) => [d.source.replace(`s3://${bucket}/`, ''), d.state])).toEqual([
      ['t/b.txt', 'completed'],
      ['t/c.txt', 'failed'],
      ['t/e.txt', 'completed'],
    ]);
  });

  it('reads addresses as S3 keys, and refuses bad patterns and missing credentials cleanly', async () => {
    const bucket = await s3.newBucket();
    await put(bucket, 'hash#dir/sub/inside.txt', 'Inside the hash folder: ibexes.');
    await put(bucket, 'hash/other.txt', 'Not this one: otters.');
    await put(bucket, 'my docs/sub/spaced.txt', 'In a folder with a space: seals.');
    const data = mkdtempSync(join(tmpdir(), 'sluice-sources-names-'));
    const hashed = await runCli(['ingest', `s3://${bucket}/hash#dir`, '-c', 'docs', '-d', data, '--include', 'sub/**']);
    expect(hashed.stdout).toMatch(/Scanned: 1 objects listed, 1 matched/);
    const spaced = await runCli([
      'ingest',
      `s3://${bucket}/my%20docs`,
      '-c',
      'docs',
      '-d',
      data,
      '--include',
      'sub/**',
    ]);
    expect(spaced.stdout).toMatch(/Scanned: 1 objects listed, 1 matched/);
    expect((await documentsOf(data)).map((d) => d.source)).toEqual([
      `s3://${bucket}/hash#dir/sub/inside.txt`,
      `s3://${bucket}/my docs/sub/spaced.txt`,
    ]);

    const badPattern = await runCli(['ingest', `s3://${bucket}/hash/`, '-c', 'docs', '-d', data, '--include', '']);
    expect(badPattern.code).toBe(1);
    expect(badPattern.stderr).toMatch(/error \[invalid_input\]: A pattern must be 1 to 500 characters long/);
    expect(badPattern.stderr).not.toMatch(/TypeError|at /);
    const store = createSqliteStore({ path: join(data, 'sluice.db'), textSearchThread: false });
    const collection = (await store.listCollections((await store.ensureTenant('default')).id))[0];
    expect((await store.listSources(collection?.id as string)).map((x) => x.url)).toEqual([
      `s3://${bucket}/hash#dir/`,
      `s3://${bucket}/my docs/`,
    ]);
    await store.close();

    const anonymous = await runCli(['ingest', `s3://${bucket}/hash/`, '-c', 'docs', '-d', data], {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/error \[storage_unauthorized\]: No credentials/);
    expect(anonymous.stderr).not.toMatch(/CredentialsProviderError|at /);
  });

  it('applies --include and --exclude to folders too', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-patterns-'));
    mkdirSync(join(root, 'docs', 'drafts'), { recursive: true });
    writeFileSync(join(root, 'docs', 'keep.md'), 'Kept: a page about kestrels.');
    writeFileSync(join(root, 'docs', 'skip.txt'), 'Not included: a page about skuas.');
    writeFileSync(join(root, 'docs', 'drafts', 'draft.md'), 'Excluded: a page about drongos.');
    const data = join(root, 'data');
    const run = await runCli([
      'ingest',
      join(root, 'docs'),
      '-c',
      'docs',
      '-d',
      data,
      '--include',
      '*.md',
      '--exclude',
      'drafts/**',
    ]);
    expect(run.stdout).toMatch(/1 completed, 0 skipped as duplicate, 0 failed/);
    expect((await documentsOf(data)).map((d) => d.source)).toEqual([join(root, 'docs', 'keep.md')]);
    const pruneFolder = await runCli(['ingest', join(root, 'docs'), '-c', 'docs', '-d', data, '--prune']);
    expect(pruneFolder.code).toBe(1);
    expect(pruneFolder.stderr).toMatch(/\[invalid_input\]: --prune applies to an s3:\/\/ source/);
  });

  describe('over the API', () => {
    let t: TestServer;
    let api: ReturnType<typeof client>;
    let bucket: string;
    let collectionId: string;

    beforeAll(async () => {
      bucket = await s3.newBucket();
      for (const name of ['one', 'two', 'three']) {
        await put(bucket, `kb/${name}.md`, `# Page ${name}\n\nThis page is number ${name} of the knowledge base.`);
      }
      t = await startTestServer({ sourceBuckets: `${bucket},no-such-bucket-here`, concurrency: 2 });
      api = client(t.url, t.adminKey);
      collectionId = ((await api('POST', '/v1/collections', { name: 'kb' })).body as { id: string }).id;
    });
    afterAll(async () => {
      await t.close();
    });

    const scanOf = async (sourceId: string) =>
      (await api('GET', `/v1/sources/${sourceId}`)).body.scan as {
        id: string;
        state: string;
        batch_id: string;
        objects: Record<string, number>;
      };

    it('adds a source, scans it on demand (one scan at a time), and rescans only what changed', async () => {
      const path = `/v1/collections/${collectionId}/sources`;
      const forbidden = await api('POST', path, { type: 's3', url: 's3://someone-elses-bucket/' });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.code).toBe('forbidden');
      const absent = await api('POST', path, { type: 's3', url: 's3://no-such-bucket-here/x/' });
      expect(absent.status).toBe(502);
      expect(absent.body.code).toBe('storage_not_found');
      const bad = await api('POST', path, { type: 's3', url: 'file:///etc/' });
      expect(bad.status).toBe(400);

      const created = await api('POST', path, { type: 's3', url: `s3://${bucket}/kb/`, include: ['*.md'] });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`/v1/sources/${created.body.id}`);
      expect(created.body).toMatchObject({ collection_id: collectionId, include: ['*.md'], exclude: [], scan: null });
      const again = await api('POST', path, { type: 's3', url: `s3://${bucket}/kb/`, include: ['*.md'] });
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(created.body.id);
      expect((await api('GET', path)).body.sources).toHaveLength(1);

      // The bucket answers slowly, so the first scan is still running when the second is asked for.
      s3.failNext(3, { delayMs: 700 });
      const scan = await api('POST', `/v1/sources/${created.body.id}/scan`, {});
      expect(scan.status).toBe(202);
      expect(scan.body.scan).toMatchObject({ state: 'running' });
      const second = await api('POST', `/v1/sources/${created.body.id}/scan`, {});
      expect(second.status).toBe(409);
      expect(second.body.code).toBe('scan_running');
      await expect.poll(async () => (await scanOf(created.body.id)).state, { timeout: 20_000 }).toBe('done');
      const done = await scanOf(created.body.id);
      expect(done.objects).toMatchObject({ listed: 3, matched: 3, unchanged: 0, ingested: 3, failed: 0 });
      await expect
        .poll(async () => (await api('GET', `/v1/batches/${done.batch_id}`)).body.finished, { timeout: 20_000 })
        .toBe(true);
      expect((await api('GET', `/v1/batches/${done.batch_id}`)).body.counts).toEqual({ completed: 3 });

      await put(bucket, 'kb/two.md', '# Page two\n\nRewritten: this page now covers zebras.');
      const rescan = await api('POST', `/v1/sources/${created.body.id}/scan`, { prune: true });
      expect(rescan.status).toBe(202);
      await expect.poll(async () => (await scanOf(created.body.id)).state, { timeout: 20_000 }).toBe('done');
      expect((await scanOf(created.body.id)).objects).toMatchObject({
        listed: 3,
        unchanged: 2,
        ingested: 1,
        pruned: 0,
      });

      const other = client(t.url, await t.tenantKey('someone-else'));
      expect((await other('GET', `/v1/sources/${created.body.id}`)).status).toBe(404);
      expect((await other('POST', `/v1/sources/${created.body.id}/scan`, {})).status).toBe(404);
      expect((await api('DELETE', `/v1/sources/${created.body.id}`)).status).toBe(204);
      expect((await api('GET', `/v1/sources/${created.body.id}`)).status).toBe(404);
      // Its documents stay.
      const docs = await api('GET', `/v1/documents?collection=${collectionId}&limit=100`);
      expect(docs.body.documents).toHaveLength(3);
    });

    it('stops a scan when its source is removed; a scan needs no body', async () => {
      for (let i = 0; i < 60; i++) {
        await put(bucket, `slow/${String(i).padStart(2, '0')}.md`, `Slow object number ${i} of the slow prefix.`);
      }
      const created = await api('POST', `/v1/collections/${collectionId}/sources`, {
        type: 's3',
        url: `s3://${bucket}/slow/`,
      });
      // Every request to the bucket takes 100 ms: reading the 60 objects takes seconds.
      s3.failNext(200, { delayMs: 100 });
      const bodyless = await fetch(`${t.url}/v1/sources/${created.body.id}/scan`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminKey}` },
      });
      expect(bodyless.status).toBe(202);
      const { scan } = (await bodyless.json()) as { scan: { batch_id: string } };
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await api('DELETE', `/v1/sources/${created.body.id}`)).status).toBe(204);
      const count = async () =>
        ((await api('GET', `/v1/documents?batch=${scan.batch_id}&limit=100`)).body.documents as unknown[]).length;
      let seen = -1;
      await expect
        .poll(
          async () => {
            const now = await count();
            const settled = now === seen;
            seen = now;
            return settled;
          },
          { timeout: 20_000, interval: 1500 },
        )
        .toBe(true);
      s3.heal();
      expect(seen).toBeLessThan(60);
    });

    it('takes over at once a scan whose process of this host is gone', async () => {
      const created = await api('POST', `/v1/collections/${collectionId}/sources`, {
        type: 's3',
        url: `s3://${bucket}/kb/`,
        include: ['one.md'],
      });
      // As a CLI killed mid-scan leaves it: running, its process gone.
      const orphan = { ...startingReport('bat_gone'), runner: `${hostname()}/${2 ** 22 + 12345}` };
      expect(await t.app.store.claimScan(created.body.id, orphan, new Date(0), undefined)).toBe(true);
      const scan = await api('POST', `/v1/sources/${created.body.id}/scan`, {});
      expect(scan.status).toBe(202);
      await expect.poll(async () => (await scanOf(created.body.id)).state, { timeout: 20_000 }).toBe('done');
    });

    it('checks the buckets it may scan at every scan, not only when the source was added', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'sluice-sources-allowed-'));
      const first = await startTestServer({ dataDir, sourceBuckets: bucket });
      const firstApi = client(first.url, first.adminKey);
      const collection = (await firstApi('POST', '/v1/collections', { name: 'allowed' })).body as { id: string };
      const source = await firstApi('POST', `/v1/collections/${collection.id}/sources`, {
        type: 's3',
        url: `s3://${bucket}/kb/`,
      });
      expect(source.status).toBe(201);
      await first.close();
      const second = await startTestServer({ dataDir });
      try {
        const refused = await client(second.url, second.adminKey)('POST', `/v1/sources/${source.body.id}/scan`, {});
        expect(refused.status).toBe(403);
        expect(refused.body.code).toBe('forbidden');
      } finally {
        await second.close();
      }
    });

    it('is what sluice ingest s3://… --server does', async () => {
      await put(bucket, 'remote/r1.md', 'Read through the server: ravens.');
      await put(bucket, 'remote/r2.md', 'Read through the server: rooks.');
      const args = ['ingest', `s3://${bucket}/remote/`, '-c', 'remote', '--server', t.url, '--api-key', t.adminKey];
      const run = await runCli(args);
      expect(run.stdout).toMatch(/Scanned: 2 objects listed, 2 matched, 0 unchanged, 2 read, 0 pruned, 0 unreadable/);
      expect(run.stdout).toMatch(/2 completed, 0 skipped as duplicate, 0 failed/);
      expect(run.code).toBe(0);
      const again = await runCli(args);
      expect(again.stdout).toMatch(/Scanned: 2 objects listed, 2 matched, 2 unchanged, 0 read/);
      expect(again.code).toBe(0);
    });
  });
});
