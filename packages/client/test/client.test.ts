import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SluiceApiError, SluiceClient, type BatchEvent, type StreamEvent } from '@sluice/client';
import { fileFromPath } from '@sluice/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCuttingProxy } from '../../../test/helpers/cutting-proxy.js';
import { startLiveServer, type LiveServer } from '../../../test/helpers/live-server.js';
import { startRefusingProxy } from '../../../test/helpers/refusing-proxy.js';

const words = (seed: string, n = 400): string =>
  Array.from({ length: n }, (_, i) => `${seed}${i % 37} filler${(i * 7) % 101}`).join(' ');

describe('@sluice/client against a live sluice serve', () => {
  let server: LiveServer;
  let client: SluiceClient;
  let collectionId: string;

  beforeAll(async () => {
    server = await startLiveServer({ SLUICE_RATE_LIMIT_PER_MINUTE: '600', SLUICE_CONCURRENCY: '1' });
    client = new SluiceClient({ baseUrl: server.url, apiKey: server.adminKey });
    collectionId = (await client.collections.create({ name: 'client-test' })).id;
    const updated = await client.collections.update(collectionId, { partial_success: true });
    expect(updated).toMatchObject({ id: collectionId, partial_success: true });
  });
  afterAll(() => server.stop());

  it('uploads buffers, strings, Blobs, Node and web streams and files on disk in one batch, with metadata', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-client-'));
    writeFileSync(join(dir, 'disk.md'), `# On disk\n\n${words('diskword')} zebrafinch`);
    writeFileSync(join(dir, 'stream.txt'), `${words('nodestream')} marmoset`);
    const web = new Blob([`${words('webstream')} ocelot`]).stream();
    const sent: number[] = [];

    const answer = await client.documents.upload(
      collectionId,
      [
        { name: 'buffer.txt', data: Buffer.from(`${words('buffer')} capybara`), metadata: { kind: 'buffer' } },
        { name: 'string.md', data: `# String\n\n${words('string')} axolotl` },
        { name: 'blob.txt', data: new Blob([`${words('blob')} pangolin`]) },
        { name: 'node-stream.txt', data: createReadStream(join(dir, 'stream.txt')) },
        { name: 'web-stream.txt', data: web },
        await fileFromPath(join(dir, 'disk.md'), { metadata: { kind: 'disk' } }),
      ],
      { metadata: { team: 'search' }, onProgress: (n) => sent.push(n) },
    );
    expect(answer.documents.map((d) => d.source).sort()).toEqual(
      ['blob.txt', 'buffer.txt', 'disk.md', 'node-stream.txt', 'string.md', 'web-stream.txt'].sort(),
    );
    expect(sent.length).toBeGreaterThan(6);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));

    const seen: BatchEvent[] = [];
    const batch = await client.waitForBatch(answer.batch.id, { onEvent: (e) => seen.push(e) });
    expect(batch).toMatchObject({ finished: true, counts: { completed: 6 }, progress: { files_done: 6 } });
    expect(seen.at(-1)).toEqual({ type: 'batch.finished', batch });

    for (const [word, source] of [
      ['ocelot', 'web-stream.txt'],
      ['marmoset', 'node-stream.txt'],
      ['zebrafinch', 'disk.md'],
      ['capybara', 'buffer.txt'],
    ] as const) {
      const { hits } = await client.query(collectionId, { query: word, mode: 'text', top_k: 1 });
      expect(hits[0]?.source).toBe(source);
    }
    const disk = (await client.query(collectionId, { query: 'zebrafinch', mode: 'text', top_k: 1 })).hits[0];
    expect(disk?.metadata).toEqual({ team: 'search', kind: 'disk' });

    const listed = [];
    for await (const doc of client.documents.all({ batch: answer.batch.id, limit: 2 })) {
      listed.push(doc.id);
    }
    expect(listed.sort()).toEqual(answer.documents.map((d) => d.id).sort());
  });

  it('follows a batch over a connection cut twice, resuming after the last event: none lost, none repeated', async () => {
    const proxy = await startCuttingProxy({ host: '127.0.0.1', port: server.port });
    try {
      const through = new SluiceClient({ baseUrl: `http://127.0.0.1:${proxy.port}`, apiKey: server.adminKey });
      // Large enough that the batch still runs when the stream resumes after the first cut (2 s, the server's `retry`).
      const files = Array.from({ length: 30 }, (_, i) => ({ name: `cut-${i}.txt`, data: words(`cut${i}x`, 24_000) }));
      const { batch, documents } = await through.documents.upload(collectionId, files);
      const events: StreamEvent[] = [];
      let cuts = 0;
      let final: BatchEvent | undefined;
      for await (const event of through.batches.events(batch.id)) {
        if (event.type === 'batch.finished') {
          final = event;
          break;
        }
        events.push(event);
        // Once in the burst of `queued` events the upload sets off, once while documents complete.
        const completedNow = events.filter((e) => e.type === 'document.state' && e.state === 'completed').length;
        const cutHere =
          events.length === 1 || (event.type === 'document.state' && event.state === 'completed' && completedNow === 5);
        if (cutHere && proxy.cut() > 0) {
          cuts++;
        }
      }
      expect(cuts).toBe(2);
      expect(final).toMatchObject({ type: 'batch.finished', batch: { finished: true, counts: { completed: 30 } } });
      const seqs = events.map((e) => e.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const completed = new Set(
        events.filter((e) => e.type === 'document.state' && e.state === 'completed').map((e) => e.documentId),
      );
      expect(completed).toEqual(new Set(documents.map((d) => d.id)));
    } finally {
      await proxy.close();
    }
  });

  it('throws SluiceApiError with the problem code: not_found, unauthorized, invalid_input', async () => {
    const missing = await client.batches.get('bat_missing').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SluiceApiError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    const events = client.batches.events('bat_missing');
    await expect(events.next()).rejects.toMatchObject({ status: 404, code: 'not_found' });

    const stranger = new SluiceClient({ baseUrl: server.url, apiKey: 'sk_not_a_key' });
    await expect(stranger.collections.list()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    await expect(client.query(collectionId, { query: '' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_input',
    });
    await expect(client.collections.find('no-such-collection')).rejects.toMatchObject({ code: 'not_found' });
    await expect(fileFromPath('/no/such/file.pdf')).rejects.toThrow('Cannot upload /no/such/file.pdf: ENOENT');
    await expect(fileFromPath(tmpdir())).rejects.toThrow(`Cannot upload ${tmpdir()}: not a file`);
  });

  it('gets the refusal of an upload refused while its body is still coming, not a failed write', async () => {
    // The metadata goes before the file: the server refuses it with most of the body still to read.
    const noRetry = new SluiceClient({ baseUrl: server.url, apiKey: server.adminKey, retry: false });
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      const refused = await noRetry.documents
        .upload(collectionId, [{ name: 'refused.txt', data: 'x'.repeat(400_000) }], { metadata: { 'bad key!': 'v' } })
        .then(
          () => 'accepted',
          (e: unknown) => (e instanceof SluiceApiError ? e.code : String(e)),
        );
      outcomes.push(refused);
    }
    expect(outcomes).toEqual(Array(30).fill('invalid_input'));
    // The connection was not spoilt: the next call on it is answered.
    expect((await noRetry.collections.list()).length).toBeGreaterThan(0);
  });

  it('sends again after 429 and 503, waiting out Retry-After; a streamed upload is not sent twice', async () => {
    const proxy = await startRefusingProxy(server.url);
    try {
      const through = new SluiceClient({ baseUrl: proxy.url, apiKey: server.adminKey, retry: { baseDelayMs: 50 } });
      proxy.refuse(2, 503, '1');
      const started = Date.now();
      expect((await through.collections.list()).map((c) => c.name)).toContain('client-test');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect(proxy.seen.map((s) => s.refused)).toEqual([true, true, false]);

      proxy.refuse(1, 429, new Date(Date.now() + 1000).toUTCString());
      const upload = await through.documents.upload(collectionId, [{ name: 'retried.txt', data: 'sent twice' }]);
      expect(upload.documents).toHaveLength(1);
      expect(proxy.seen.slice(-2).map((s) => [s.method, s.refused])).toEqual([
        ['POST', true],
        ['POST', false],
      ]);

      proxy.refuse(1, 503, '1');
      const streamed = through.documents.upload(collectionId, [{ name: 's.txt', data: new Blob(['x']).stream() }]);
      await expect(streamed).rejects.toMatchObject({ status: 503, code: 'not_ready' });

      proxy.refuse(1, 429, '3600');
      await expect(through.batches.list()).rejects.toMatchObject({ status: 429, retryAfterMs: 3_600_000 });

      const noRetry = new SluiceClient({ baseUrl: proxy.url, apiKey: server.adminKey, retry: false });
      proxy.refuse(1, 503, '1');
      await expect(noRetry.batches.list()).rejects.toMatchObject({ status: 503 });
    } finally {
      await proxy.close();
    }
  });

  it('answers the server rate limit as rate_limited with its Retry-After', async () => {
    const limited = await startLiveServer({ SLUICE_RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const c = new SluiceClient({ baseUrl: limited.url, apiKey: limited.adminKey, retry: { maxDelayMs: 100 } });
      const outcomes = await Promise.allSettled([c.batches.list(), c.batches.list(), c.batches.list()]);
      const refused = outcomes.find((o) => o.status === 'rejected');
      expect(refused?.status === 'rejected' && refused.reason).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(refused?.status === 'rejected' && (refused.reason as SluiceApiError).retryAfterMs).toBeGreaterThan(1000);
    } finally {
      await limited.stop();
    }
  });
});
