import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCorpus } from '../helpers/corpus.js';
import { runCli, startCli } from '../helpers/run-cli.js';
import { freePort } from '../helpers/free-port.js';

describe('sluice serve as a real process', () => {
  it('starts with zero configuration, prints an admin key once, takes `ingest --server` uploads and stops cleanly on SIGTERM', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-serve-'));
    const data = join(root, 'data');
    const folder = join(root, 'docs');
    writeCorpus(folder, 30);
    writeFileSync(join(folder, 'broken.pdf'), '%PDF-1.7\nnot really a pdf');
    // A base name the folder above has too: a document of its own, not a new version of the other.
    mkdirSync(join(folder, 'notes'));
    writeFileSync(
      join(folder, 'notes', 'doc-001.txt'),
      'Notes kept apart from the top-level doc-001.txt, under the same name.',
    );
    const port = await freePort();
    const serve = startCli([
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '-d',
      data,
      '--log-level',
      'silent',
    ]);
    let output = '';
    serve.child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    await expect.poll(() => output, { timeout: 15_000 }).toMatch(/listening on/);
    const key = /(sk_[\w-]+)/.exec(output)?.[1];
    expect(key).toBeDefined();

    const ingest = await runCli([
      'ingest',
      folder,
      '-c',
      'docs',
      '--server',
      `http://127.0.0.1:${port}`,
      '--api-key',
      key!,
    ]);
    expect(ingest.stdout).toMatch(/31 completed, 0 skipped as duplicate, 1 failed/);
    expect(ingest.stdout).toMatch(/broken\.pdf\s+\[corrupt_file\]/);
    expect(ingest.code).toBe(1);
    const listed = await fetch(`http://127.0.0.1:${port}/v1/documents?limit=500`, {
      headers: { authorization: `Bearer ${key!}` },
    });
    const sources = ((await listed.json()) as { documents: { source: string }[] }).documents.map((d) => d.source);
    expect(sources).toHaveLength(32);
    expect(sources).toEqual(expect.arrayContaining(['doc-001.txt', 'notes/doc-001.txt', 'broken.pdf']));

    const noKey = await runCli([
      'ingest',
      folder,
      '-c',
      'docs',
      '--server',
      `http://127.0.0.1:${port}`,
      '--api-key',
      'sk_wrong',
    ]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/error \[unauthorized\]: /);

    serve.child.kill('SIGTERM');
    const stopped = await serve.done;
    expect(stopped.code).toBe(0);

    // A second start keeps the data and prints no new key.
    const again = startCli([
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '-d',
      data,
      '--log-level',
      'silent',
    ]);
    let second = '';
    again.child.stdout?.on('data', (d: Buffer) => (second += d.toString()));
    await expect.poll(() => second, { timeout: 15_000 }).toMatch(/listening on/);
    expect(second).not.toMatch(/sk_/);
    const collections = await fetch(`http://127.0.0.1:${port}/v1/collections`, {
      headers: { authorization: `Bearer ${key!}` },
    });
    expect(((await collections.json()) as { collections: { name: string }[] }).collections.map((c) => c.name)).toEqual([
      'docs',
    ]);
    again.child.kill('SIGTERM');
    expect((await again.done).code).toBe(0);
  });

  it('shuts down promptly on SIGTERM while an SSE stream is open, and the stream resumes after restart', async () => {
    const data = join(mkdtempSync(join(tmpdir(), 'sluice-sse-stop-')), 'data');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const serve = startCli([
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--no-workers',
      '-d',
      data,
      '--log-level',
      'silent',
    ]);
    let output = '';
    serve.child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    await expect.poll(() => output, { timeout: 15_000 }).toMatch(/listening on/);
    const headers = { authorization: `Bearer ${/(sk_[\w-]+)/.exec(output)![1]!}` };
    const collection = (await (
      await fetch(`${base}/v1/collections`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: '{"name":"d"}',
      })
    ).json()) as { id: string };
    const form = new FormData();
    form.append('file', new Blob(['waiting for a worker']), 'w.txt');
    const upload = (await (
      await fetch(`${base}/v1/collections/${collection.id}/documents`, { method: 'POST', headers, body: form })
    ).json()) as { batch: { id: string } };
    // No worker runs, so the batch stays open and so does its stream.
    const stream = await fetch(`${base}/v1/batches/${upload.batch.id}/events`, { headers });
    const reader = stream.body!.getReader();
    await reader.read();
    const stopping = Date.now();
    serve.child.kill('SIGTERM');
    expect((await serve.done).code).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(5000);
    await reader.read().catch(() => undefined);

    // After a restart with workers, the same batch completes and its stream ends with the final event.
    const again = startCli([
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '-d',
      data,
      '--log-level',
      'silent',
    ]);
    let second = '';
    again.child.stdout?.on('data', (d: Buffer) => (second += d.toString()));
    await expect.poll(() => second, { timeout: 15_000 }).toMatch(/listening on/);
    const text = await (
      await fetch(`${base}/v1/batches/${upload.batch.id}/events`, { headers: { ...headers, 'last-event-id': '1' } })
    ).text();
    expect(text).toMatch(/event: batch\.finished\ndata: .*"completed":1/);
    again.child.kill('SIGTERM');
    expect((await again.done).code).toBe(0);
  });

  it('refuses a port already in use with a clear error and exit code 1, not a stack trace', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      const data = join(mkdtempSync(join(tmpdir(), 'sluice-port-')), 'data');
      const run = await runCli([
        'serve',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '-d',
        data,
        '--log-level',
        'silent',
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/error \[invalid_config\]: Cannot listen on 127\.0\.0\.1:\d+: it is already in use/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
