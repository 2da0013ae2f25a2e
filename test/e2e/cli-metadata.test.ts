import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { client, startTestServer, type TestServer } from '../helpers/test-server.js';

/** A handbook in two languages, one folder each: `en/…`, `de/…`. */
function writeHandbook(): string {
  const folder = join(mkdtempSync(join(tmpdir(), 'sluice-meta-')), 'handbook');
  const pages = {
    'en/network/dhcp.txt':
      'The DHCP server hands out addresses to every machine on the network, and the administrator sets its range.',
    'en/users/home.txt':
      'Every user keeps personal files in a home directory, which the administrator creates with the account.',
    'de/network/dhcp.txt':
      'Der DHCP-Server vergibt Adressen an jeden Rechner im Netzwerk, und der Administrator legt den Bereich fest.',
    'top.txt': 'A page outside any language folder, about the DHCP server of the network as well.',
  };
  for (const [path, text] of Object.entries(pages)) {
    mkdirSync(join(folder, path, '..'), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  return folder;
}

const sourcesOf = (stdout: string): string[] =>
  (JSON.parse(stdout) as { source: string }[]).map((h) => h.source.split('handbook/')[1] ?? h.source).sort();

describe('sluice ingest --metadata / --path-metadata and sluice query --filter', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ concurrency: 2 });
  });
  afterAll(() => t.close());

  it('attaches metadata from options and folder names, and filters queries by it and by language', async () => {
    const folder = writeHandbook();
    const data = join(folder, '..', 'data');
    const ingest = await runCli([
      'ingest',
      folder,
      '-c',
      'handbook',
      '-d',
      data,
      '--metadata',
      'product=handbook',
      '--metadata',
      'edition=12',
      '--path-metadata',
      '{locale}/{section}',
    ]);
    expect(ingest.code, ingest.stderr).toBe(0);
    const query = (...args: string[]) =>
      runCli(['query', 'DHCP server network', '-c', 'handbook', '-d', data, '-k', '10', '--json', ...args]);

    const german = await query('--filter', 'lang=de');
    expect(german.code, german.stderr).toBe(0);
    expect(sourcesOf(german.stdout)).toEqual(['de/network/dhcp.txt']);
    const [hit] = JSON.parse(german.stdout) as { language: string; metadata: Record<string, unknown> }[];
    expect(hit).toMatchObject({
      language: 'de',
      metadata: { product: 'handbook', edition: '12', locale: 'de', section: 'network' },
    });

    // A file above the template's folders gets only the options' metadata.
    expect(sourcesOf((await query('--filter', 'section=network', '--filter', 'section=users')).stdout)).toEqual([
      'de/network/dhcp.txt',
      'en/network/dhcp.txt',
      'en/users/home.txt',
    ]);
    expect(sourcesOf((await query('--filter', 'locale=en', '--filter', 'lang=en')).stdout)).toEqual([
      'en/network/dhcp.txt',
      'en/users/home.txt',
    ]);
    expect(sourcesOf((await query('--filter', 'edition>=12', '--filter', 'product=handbook')).stdout)).toHaveLength(4);
    expect(JSON.parse((await query('--filter', 'edition>12')).stdout)).toEqual([]);
    // A number matches however it is written.
    expect(sourcesOf((await query('--filter', 'edition=12.0')).stdout)).toHaveLength(4);
    expect(sourcesOf((await query('--source', join(folder, 'en'), '--filter', 'section=network')).stdout)).toEqual([
      'en/network/dhcp.txt',
    ]);

    const readable = await runCli(['query', 'DHCP', '-c', 'handbook', '-d', data, '--filter', 'lang=de']);
    expect(readable.stdout).toMatch(/de\/network\/dhcp\.txt .*\[de\]/);

    for (const [args, message] of [
      [['--filter', 'lang'], /must read key=value/],
      [['--filter', 'created>2026-01-01'], /created>=TIME or created<TIME/],
      [['--filter', 'created>=someday'], /created_after must be a date/],
    ] as const) {
      const bad = await query(...args);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/\[invalid_input\]/);
      expect(bad.stderr).toMatch(message);
    }
    const badTemplate = await runCli(['ingest', folder, '-c', 'x', '-d', data, '--path-metadata', '{a b}']);
    expect(badTemplate.code).toBe(1);
    expect(badTemplate.stderr).toMatch(/\[invalid_input\].*--path-metadata/);
    const badPair = await runCli(['ingest', folder, '-c', 'x', '-d', data, '--metadata', 'novalue']);
    expect(badPair.code).toBe(1);
    expect(badPair.stderr).toMatch(/\[invalid_input\].*key=value/);
  });

  it('sends the same metadata to a server with --server', async () => {
    const folder = writeHandbook();
    const ingest = await runCli([
      'ingest',
      folder,
      '-c',
      'remote',
      '--server',
      t.url,
      '--api-key',
      t.adminKey,
      '--metadata',
      'product=handbook',
      '--path-metadata',
      '{locale}',
    ]);
    expect(ingest.code, ingest.stderr + ingest.stdout).toBe(0);
    const api = client(t.url, t.adminKey);
    const collection = (await api('GET', '/v1/collections')).body.collections.find(
      (c: { name: string }) => c.name === 'remote',
    );
    const answer = await api('POST', `/v1/collections/${collection.id}/query`, {
      query: 'DHCP',
      mode: 'text',
      top_k: 10,
      filter: { metadata: { locale: 'en', product: 'handbook' } },
    });
    expect(answer.status).toBe(200);
    expect((answer.body.hits as { source: string }[]).map((h) => h.source)).toEqual(['en/network/dhcp.txt']);
  });

  it('queues files on a server with --no-wait, at the --priority given, and refuses a missing path before sending any', async () => {
    const folder = writeHandbook();
    const args = ['ingest', folder, '-c', 'queued', '--server', t.url, '--api-key', t.adminKey];
    const missing = await runCli([...args, join(folder, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error \[not_found\]: Nothing found at .*nope/);
    const queued = await runCli([...args, '--no-wait', '--priority', '7']);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stdout).toMatch(/^Batch bat_\w+: 4 files queued on http/);
    const collection = (await t.app.store.listCollections((await t.app.defaultTenant()).id)).find(
      (c) => c.name === 'queued',
    );
    const documents = await t.app.store.listDocuments({ collectionId: collection!.id });
    expect(documents.map((d) => d.priority)).toEqual([7, 7, 7, 7]);
  });

  it('sends the same long metadata for fifty files to a server in one upload', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'sluice-meta-many-')), 'many');
    mkdirSync(join(folder, 'en'), { recursive: true });
    for (let i = 0; i < 50; i++) {
      writeFileSync(
        join(folder, 'en', `page-${i}.txt`),
        `Page ${i} about the DHCP server of the network, number ${i}.`,
      );
    }
    // 1,800 characters each: fifty files' worth is more than a form field of 64 KiB held.
    const description = 'd'.repeat(900);
    const summary = 's'.repeat(900);
    const run = await runCli([
      'ingest',
      folder,
      '-c',
      'many',
      '--server',
      t.url,
      '--api-key',
      t.adminKey,
      '--metadata',
      `description=${description}`,
      '--metadata',
      `summary=${summary}`,
      '--path-metadata',
      '{locale}',
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const collection = (await t.app.store.listCollections((await t.app.defaultTenant()).id)).find(
      (c) => c.name === 'many',
    );
    const documents = await t.app.store.listDocuments({ collectionId: collection!.id });
    expect(documents).toHaveLength(50);
    expect(
      documents.every(
        (d) => d.metadata.description === description && d.metadata.summary === summary && d.metadata.locale === 'en',
      ),
    ).toBe(true);
  });
});
