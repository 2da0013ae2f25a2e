import { connectSluice, joinChunks, SluiceApiError, type DocumentChunk, type SluiceClient } from '@sluice/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../../../test/helpers/live-server.js';

/** Chunks of `text` at the given offsets, as the server answers them. */
const sliced = (text: string, ranges: [number, number][]): DocumentChunk[] =>
  ranges.map(([start, end], index) => ({
    index,
    text: text.slice(start, end),
    char_start: start,
    char_end: end,
    page: null,
    token_count: 1,
  }));

describe('joinChunks', () => {
  it('gives the text back where chunks overlap or touch, in index order whatever the order given', () => {
    const text = 'The tide turns twice a day.';
    const chunks = sliced(text, [
      [0, 9],
      [4, 14],
      [14, 22],
      [15, 20],
      [20, 27],
    ]);
    expect(joinChunks(chunks)).toBe(text);
    expect(joinChunks([...chunks].reverse())).toBe(text);
    expect(joinChunks([])).toBe('');
  });

  it('puts a line break for whitespace left out between chunks, a blank line for more', () => {
    const text = 'Ebb\nFlow\n\n\nSlack';
    expect(
      joinChunks(
        sliced(text, [
          [0, 3],
          [4, 8],
          [11, 16],
        ]),
      ),
    ).toBe('Ebb\nFlow\n\nSlack');
  });
});

// Lines short enough for every chunk to carry the overlap; about 110 chunks.
const ledger = Array.from({ length: 4000 }, (_, i) => `Entry ${i}: the tide gauge read ${(i * 7) % 31} feet.`).join(
  '\n',
);
// No whitespace at all: the chunker cuts it into windows that touch, without overlap.
const hanzi = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20000))).join('');

describe('documents.chunks, allChunks and text against a live sluice serve', () => {
  let server: LiveServer;
  let client: SluiceClient;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startLiveServer({ SLUICE_RATE_LIMIT_PER_MINUTE: '6000' });
    client = connectSluice({ baseUrl: server.url, apiKey: server.adminKey });
    const collectionId = (await client.collections.create({ name: 'chunks' })).id;
    const answer = await client.documents.upload(
      collectionId,
      [
        { name: 'ledger.txt', data: ledger },
        { name: 'hanzi.txt', data: hanzi },
        { name: 'broken.txt', data: 'binary\u0000\u0001 bytes' },
      ],
      { wait: 60 },
    );
    if (!answer.batch.finished) {
      await client.waitForBatch(answer.batch.id);
    }
    // Uploaded after the original completed, so it is skipped at once.
    const copy = await client.documents.upload(collectionId, [{ name: 'ledger-copy.txt', data: ledger }], { wait: 60 });
    [...answer.documents, ...copy.documents].forEach((d) => (ids[d.source] = d.id));
  });
  afterAll(() => server.stop());

  it("reads a document's chunks a page at a time, and its text back exactly", async () => {
    const id = ids['ledger.txt'] ?? '';
    const first = await client.documents.chunks(id, { limit: 40 });
    expect(first).toMatchObject({ document_id: id, state: 'completed', chunks_of: id, next_cursor: '39' });
    expect(first.chunks.map((c) => c.index)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const second = await client.documents.chunks(id, { limit: 40, cursor: first.next_cursor ?? '' });
    expect(second.chunks[0]?.index).toBe(40);

    const all: DocumentChunk[] = [];
    for await (const chunk of client.documents.allChunks(id, { limit: 40 })) {
      all.push(chunk);
    }
    const { progress } = await client.documents.get(id);
    expect(all.length).toBeGreaterThan(100);
    expect(all).toHaveLength(progress.chunks_total);
    expect(all.slice(0, 80)).toEqual([...first.chunks, ...second.chunks]);
    for (const chunk of all) {
      expect(chunk.text).toBe(ledger.slice(chunk.char_start, chunk.char_end));
    }
    expect(await client.documents.text(id)).toBe(ledger);
  });

  it('puts back text whose chunks touch without overlap', async () => {
    const id = ids['hanzi.txt'] ?? '';
    const { chunks } = await client.documents.chunks(id, { limit: 500 });
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.slice(1).some((c, i) => c.char_start === chunks[i]?.char_end)).toBe(true);
    expect(await client.documents.text(id)).toBe(hanzi);
  });

  it("answers a skipped copy with its original's chunks, and a failed document with none", async () => {
    const copy = await client.documents.chunks(ids['ledger-copy.txt'] ?? '', { limit: 3 });
    expect(copy).toMatchObject({ state: 'skipped', chunks_of: ids['ledger.txt'], next_cursor: '2' });
    expect(await client.documents.text(ids['ledger-copy.txt'] ?? '')).toBe(ledger);

    const broken = ids['broken.txt'] ?? '';
    expect(await client.documents.chunks(broken)).toEqual({
      document_id: broken,
      state: 'failed',
      chunks_of: broken,
      chunks: [],
      next_cursor: null,
    });
    expect(await client.documents.text(broken)).toBe('');
  });

  it("refuses another tenant's document and an unknown one as not found", async () => {
    const { data } = await client.api.POST('/v1/tenants', { body: { name: 'stranger' } });
    const stranger = connectSluice({ baseUrl: server.url, apiKey: data?.key.api_key ?? '' });
    for (const attempt of [
      () => stranger.documents.text(ids['ledger.txt'] ?? ''),
      () => client.documents.chunks('doc_unknown'),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SluiceApiError);
      expect(error).toMatchObject({ status: 404, code: 'not_found' });
    }
    expect(connectSluice({ client })).toBe(client);
  });
});
