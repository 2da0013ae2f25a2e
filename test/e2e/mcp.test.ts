import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { cliPath, runCli } from '../helpers/run-cli.js';
import { client as restClient, form } from '../helpers/test-server.js';

const readTools = ['get_document', 'list_collections', 'search'];

/** A tool's answer, as the SDK's client returns it. */
async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

const textOf = (result: CallToolResult): string =>
  result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');

/** The stable code a tool error carries, in its text and in `_meta`. */
function errorCode(result: CallToolResult): string | undefined {
  expect(result.isError).toBe(true);
  const code = (result._meta?.['sluice.dev/error'] as { code?: string } | undefined)?.code;
  expect(textOf(result)).toContain(`[${code}]`);
  return code;
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((tool) => tool.name).sort();
}

/** Runs `use` with an MCP client of a `sluice mcp` process on the data folder, and ends the process after. */
async function withStdioClient(
  dataDir: string,
  env: Record<string, string>,
  use: (client: Client) => Promise<void>,
): Promise<void> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, 'mcp', '-d', dataDir],
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'sluice-test', version: '1.0.0' });
  try {
    await client.connect(transport);
    await use(client);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nsluice mcp said: ${stderr}`, {
      cause: error,
    });
  } finally {
    await client.close();
  }
}

/** An MCP client of the live server's `/mcp`, as the holder of `key`. */
async function withHttpClient(server: LiveServer, key: string, use: (client: Client) => Promise<void>): Promise<void> {
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: 'sluice-test', version: '1.0.0' });
  try {
    await client.connect(transport);
    await use(client);
  } finally {
    await client.close();
  }
}

const initialize = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
})}\n`;

/**
 * Starts `sluice mcp` by hand, sends `initialize` and waits for its answer, then ends the session with
 * `stop`; resolves with how the process ended and everything it wrote on stdout.
 */
function runRawSession(
  dataDir: string,
  stop: (child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, 'mcp', '-d', dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let stopped = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!stopped && stdout.includes('\n')) {
      stopped = true;
      stop(child);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.write(initialize);
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

describe('MCP over stdio: `sluice mcp` on a data folder', () => {
  let dataDir: string;
  let filesDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-mcp-'));
    filesDir = mkdtempSync(join(tmpdir(), 'sluice-mcp-files-'));
    writeFileSync(
      join(filesDir, 'otters.md'),
      '# Otters\n\nSea otters hold hands while they sleep, so that they do not drift apart. They crack shellfish with quillwort stones.\n',
    );
    writeFileSync(
      join(filesDir, 'capybara.txt'),
      'The capybara is the largest living rodent, at home in South America.\n',
    );
    const ingested = await runCli(['ingest', filesDir, '-c', 'animals', '-d', dataDir, '--metadata', 'topic=wildlife']);
    expect(ingested.code, ingested.stderr).toBe(0);
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(filesDir, { recursive: true, force: true });
  });

  it('searches, lists, gets and reads documents of the default tenant, and tells errors by their code', async () => {
    await withStdioClient(dataDir, {}, async (client) => {
      expect(await toolNames(client)).toEqual(readTools);

      const found = await call(client, 'search', { collection: 'animals', query: 'quillwort stones', top_k: 3 });
      expect(found.isError).toBeFalsy();
      const hits = (found.structuredContent as { hits: Record<string, any>[] }).hits;
      expect(hits[0]).toMatchObject({
        source: expect.stringMatching(/otters\.md$/),
        document_id: expect.stringMatching(/^doc_/),
        metadata: { topic: 'wildlife' },
        text: expect.stringContaining('quillwort'),
      });
      const documentId: string = hits[0]!.document_id;
      expect(textOf(found)).toContain('quillwort stones');
      expect(textOf(found)).toContain(documentId);
      expect(textOf(found)).toContain('topic=wildlife');

      const listed = await call(client, 'list_collections', {});
      expect((listed.structuredContent as { collections: unknown[] }).collections).toEqual([
        expect.objectContaining({ name: 'animals', documents: 2, chunks: 2 }),
      ]);

      const got = await call(client, 'get_document', { id: documentId });
      expect(got.structuredContent).toMatchObject({
        document: {
          id: documentId,
          state: 'completed',
          chunks_total: 1,
          metadata: { topic: 'wildlife' },
          error: null,
          uri: `sluice://documents/${documentId}`,
        },
        text: expect.stringContaining('Sea otters hold hands'),
        text_truncated: false,
      });
      const cut = await call(client, 'get_document', { id: documentId, max_chars: 10 });
      expect(cut.structuredContent).toMatchObject({ text: '# Otters\n\n', text_truncated: true });

      const uri = `sluice://documents/${documentId}`;
      expect((await client.listResources()).resources.map((r) => r.uri)).toContain(uri);
      const read = await client.readResource({ uri });
      expect(read.contents).toEqual([
        { uri, mimeType: 'text/plain', text: expect.stringMatching(/^# Otters\n\nSea otters hold hands/) },
      ]);

      expect(errorCode(await call(client, 'search', { collection: 'no-such-collection', query: 'otters' }))).toBe(
        'not_found',
      );
      expect(errorCode(await call(client, 'get_document', { id: 'doc_missing' }))).toBe('not_found');
      expect(errorCode(await call(client, 'search', { collection: 'animals', query: '?!' }))).toBe('invalid_input');
      // A bad call is an answer, not the end of the session.
      expect((await call(client, 'list_collections', {})).isError).toBeFalsy();
      await expect(client.readResource({ uri: 'sluice://documents/doc_missing' })).rejects.toMatchObject({
        code: -32002,
        data: { code: 'not_found' },
      });
    });
  });

  it('writes nothing but protocol on stdout, and closes the data folder when its input ends or on SIGTERM', async () => {
    for (const stop of [
      (child: ReturnType<typeof spawn>) => child.stdin?.end(),
      (child: ReturnType<typeof spawn>) => child.kill('SIGTERM'),
    ]) {
      const session = await runRawSession(dataDir, stop);
      expect({ code: session.code, signal: session.signal }, session.stderr).toEqual({ code: 0, signal: null });
      const lines = session.stdout.split('\n').filter((line) => line !== '');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
      }
      expect(JSON.parse(lines[0]!)).toMatchObject({ id: 1, result: { serverInfo: { name: 'sluice' } } });
      // SQLite removes its write-ahead log when the last connection closes cleanly.
      expect(existsSync(join(dataDir, 'sluice.db-wal'))).toBe(false);
    }
  });

  it('ingests text and fetched URLs when SLUICE_MCP_INGEST allows, within the fetch limits', async () => {
    const pages: Server = createServer((request, response) => {
      if (request.url === '/guide.txt') {
        response.end('Axolotls regrow lost limbs within weeks.\n');
      } else if (request.url === '/moved') {
        response.writeHead(302, { location: '/guide.txt' }).end();
      } else if (request.url === '/large') {
        response.end('x'.repeat(5000));
      } else if (request.url === '/slow') {
        response.writeHead(200).write('a first line, and then nothing more\n');
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    try {
      const env = {
        SLUICE_MCP_INGEST: 'text,url',
        SLUICE_MCP_FETCH_PRIVATE: 'true',
        SLUICE_MCP_FETCH_MAX_BYTES: '1000',
        SLUICE_MCP_FETCH_TIMEOUT_MS: '2000',
      };
      await withStdioClient(dataDir, env, async (client) => {
        expect(await toolNames(client)).toEqual([...readTools, 'ingest_url_or_text'].sort());
        const text = await call(client, 'ingest_url_or_text', {
          collection: 'animals',
          text: 'Pangolins roll into armoured balls when threatened.',
          name: 'notes/pangolin.md',
          metadata: { topic: 'scales' },
          wait_seconds: 30,
        });
        expect(text.structuredContent).toMatchObject({
          batch_id: expect.stringMatching(/^bat_/),
          outcome: 'queued',
          document: { source: 'notes/pangolin.md', state: 'completed', metadata: { topic: 'scales' } },
        });
        const fetched = await call(client, 'ingest_url_or_text', {
          collection: 'animals',
          url: `${base}/moved`,
          wait_seconds: 30,
        });
        expect(fetched.structuredContent).toMatchObject({
          document: { source: `${base}/moved`, state: 'completed' },
        });
        const found = await call(client, 'search', {
          collection: 'animals',
          query: 'pangolins axolotls',
          mode: 'text',
        });
        expect((found.structuredContent as { hits: { source: string }[] }).hits.map((h) => h.source).sort()).toEqual([
          `${base}/moved`,
          'notes/pangolin.md',
        ]);

        expect(
          errorCode(await call(client, 'ingest_url_or_text', { collection: 'animals', url: `${base}/large` })),
        ).toBe('file_too_large');
        const slow = await call(client, 'ingest_url_or_text', { collection: 'animals', url: `${base}/slow` });
        expect(errorCode(slow)).toBe('file_unreadable');
        expect(textOf(slow)).toContain('took longer than 2000 ms');
        const missing = await call(client, 'ingest_url_or_text', { collection: 'animals', url: `${base}/gone` });
        expect(errorCode(missing)).toBe('file_unreadable');
        expect(textOf(missing)).toContain('HTTP 404');
        expect(
          errorCode(await call(client, 'ingest_url_or_text', { collection: 'animals', url: 'file:///etc/passwd' })),
        ).toBe('invalid_input');
        expect(
          errorCode(await call(client, 'ingest_url_or_text', { collection: 'animals', text: 'a', url: `${base}/x` })),
        ).toBe('invalid_input');
        expect(errorCode(await call(client, 'ingest_url_or_text', { collection: 'nope', text: 'a' }))).toBe(
          'not_found',
        );
      });
    } finally {
      pages.closeAllConnections();
      await new Promise((resolve) => pages.close(resolve));
    }
  });
});

describe('MCP over HTTP: /mcp of a live server, behind its API keys', () => {
  let server: LiveServer;
  let documentId: string;
  let otherKey: string;

  beforeAll(async () => {
    server = await startLiveServer({ SLUICE_MCP_INGEST: 'text,url' });
    const admin = restClient(server.url, server.adminKey);
    const upload = await admin(
      'POST',
      `/v1/collections/${server.collectionId}/documents?wait=30`,
      form([
        {
          name: 'lighthouse.md',
          content: '# Lighthouses\n\nThe Fresnel lens carried a lighthouse beam far out to sea.\n',
        },
      ]),
    );
    expect(upload.status).toBe(200);
    documentId = upload.body.documents[0].id;
    const tenant = await admin('POST', '/v1/tenants', { name: 'elsewhere' });
    expect(tenant.status).toBe(201);
    otherKey = tenant.body.key.api_key;
  });
  afterAll(() => server?.stop());

  it('answers 401 problem+json without a key, 405 to GET, and stays out of the OpenAPI document', async () => {
    const unauthenticated = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: initialize,
    });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await unauthenticated.json()).toMatchObject({ status: 401, code: 'unauthorized' });

    const get = await fetch(`${server.url}/mcp`, {
      headers: { authorization: `Bearer ${server.adminKey}`, accept: 'text/event-stream' },
    });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    await get.body?.cancel();

    const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths).filter((path) => path.includes('mcp'))).toEqual([]);
  });

  it('searches, lists, gets and reads the documents of the key’s tenant', async () => {
    await withHttpClient(server, server.adminKey, async (client) => {
      expect(await toolNames(client)).toEqual([...readTools, 'ingest_url_or_text'].sort());
      const found = await call(client, 'search', { collection: 'live', query: 'Fresnel lens' });
      expect((found.structuredContent as { hits: Record<string, unknown>[] }).hits[0]).toMatchObject({
        document_id: documentId,
        source: 'lighthouse.md',
      });
      const byId = await call(client, 'search', { collection: server.collectionId, query: 'beam', mode: 'text' });
      expect((byId.structuredContent as { hits: unknown[] }).hits).toHaveLength(1);
      expect((await call(client, 'list_collections', {})).structuredContent).toEqual({
        collections: [expect.objectContaining({ id: server.collectionId, name: 'live', documents: 1 })],
      });
      expect((await call(client, 'get_document', { id: documentId })).structuredContent).toMatchObject({
        document: { state: 'completed', source: 'lighthouse.md' },
        text: expect.stringContaining('Fresnel lens'),
      });
      const read = await client.readResource({ uri: `sluice://documents/${documentId}` });
      expect(read.contents[0]).toMatchObject({ text: expect.stringContaining('Fresnel lens') });
      expect(errorCode(await call(client, 'search', { collection: 'absent', query: 'lens' }))).toBe('not_found');
    });
  });

  it('shows a second tenant’s key nothing of the first tenant', async () => {
    await withHttpClient(server, otherKey, async (client) => {
      expect((await call(client, 'list_collections', {})).structuredContent).toEqual({ collections: [] });
      expect(errorCode(await call(client, 'search', { collection: 'live', query: 'lens' }))).toBe('not_found');
      expect(errorCode(await call(client, 'search', { collection: server.collectionId, query: 'lens' }))).toBe(
        'not_found',
      );
      expect(errorCode(await call(client, 'get_document', { id: documentId }))).toBe('not_found');
      expect(
        errorCode(await call(client, 'ingest_url_or_text', { collection: server.collectionId, text: 'intruder' })),
      ).toBe('not_found');
      expect((await client.listResources()).resources).toEqual([]);
      await expect(client.readResource({ uri: `sluice://documents/${documentId}` })).rejects.toMatchObject({
        data: { code: 'not_found' },
      });
    });
  });

  it('ingests text that a search then finds, and refuses to fetch a loopback URL', async () => {
    await withHttpClient(server, server.adminKey, async (client) => {
      const ingested = await call(client, 'ingest_url_or_text', {
        collection: 'live',
        text: 'Tide tables predict the spring tides of the estuary.',
        wait_seconds: 30,
      });
      expect(ingested.structuredContent).toMatchObject({
        outcome: 'queued',
        document: { state: 'completed', source: expect.stringMatching(/^text-[0-9a-f]{12}\.txt$/) },
      });
      const found = await call(client, 'search', { collection: 'live', query: 'spring tides estuary', top_k: 1 });
      expect((found.structuredContent as { hits: { text: string }[] }).hits[0]!.text).toContain('spring tides');

      for (const url of [`${server.url}/healthz`, `http://localhost:${server.port}/healthz`, 'http://[::1]/']) {
        const refused = await call(client, 'ingest_url_or_text', { collection: 'live', url });
        expect(errorCode(refused)).toBe('forbidden');
        expect(textOf(refused)).toContain('SLUICE_MCP_FETCH_PRIVATE');
      }
      expect(await server.documentCount()).toBe(2);
    });
  });
});
