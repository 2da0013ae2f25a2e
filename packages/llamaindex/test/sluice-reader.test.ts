import { Document, ObjectType } from '@llamaindex/core/schema';
import { SluiceClient, type UploadFile } from '@sluice/client';
import { SluiceReader } from '@sluice/llamaindex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../../../test/helpers/live-server.js';

const section = (n: number, sentences: number): string =>
  `## Part ${n}\n\n` +
  Array.from({ length: sentences }, (_, i) => `Entry ${n}.${i} of the harbour log notes tide ${i % 13}.`).join(' ');
// Several sections, each long enough for more than one chunk: chunks overlap inside a section and
// start clean after each heading.
const guide = `# Harbour guide\n\n${Array.from({ length: 6 }, (_, n) => section(n, 90)).join('\n\n')}\n`;
const note = 'Ferries leave on the hour.\nThe last one sails at midnight.';
// Long enough for about 250 chunks: more than the 100 a query answers, and pages of chunks.
const ledger = Array.from({ length: 9000 }, (_, i) => `Line ${i} of the long ledger records cargo ${i % 97}.`).join(
  '\n',
);

describe('SluiceReader (LlamaIndex) against a live sluice serve', () => {
  let server: LiveServer;
  let client: SluiceClient;
  const ids: Record<string, string> = {};

  const ingest = async (collection: string, files: UploadFile[]): Promise<void> => {
    const collectionId = (await client.collections.create({ name: collection })).id;
    const answer = await client.documents.upload(collectionId, files, { wait: 60 });
    if (!answer.batch.finished) {
      await client.waitForBatch(answer.batch.id);
    }
    answer.documents.forEach((d) => (ids[d.source] = d.id));
  };

  beforeAll(async () => {
    server = await startLiveServer({ SLUICE_RATE_LIMIT_PER_MINUTE: '6000' });
    client = new SluiceClient({ baseUrl: server.url, apiKey: server.adminKey });
    await ingest('harbour', [
      { name: 'guide.md', data: guide, metadata: { team: 'port', year: 2024 } },
      { name: 'note.txt', data: note, metadata: { team: 'ferries' } },
      { name: 'note-copy.txt', data: note, metadata: { team: 'copy' } },
      { name: 'broken.txt', data: 'binary\u0000\u0001 bytes' },
    ]);
    await ingest('ledger', [{ name: 'ledger.txt', data: ledger }]);
  });
  afterAll(() => server.stop());

  it('loads every completed document of a collection with its text as Sluice parsed it, and its metadata', async () => {
    const docs = await new SluiceReader({ client, collection: 'harbour' }).loadData();
    expect(docs.map((d) => d.metadata.source).sort()).toEqual(['guide.md', 'note.txt']);
    const loaded = docs.find((d) => d.metadata.source === 'guide.md');
    expect(loaded).toBeInstanceOf(Document);
    expect(loaded?.type).toBe(ObjectType.DOCUMENT);
    expect(loaded?.id_).toBe(ids['guide.md']);
    expect((await client.documents.get(ids['guide.md'] ?? '')).progress.chunks_total).toBeGreaterThan(6);
    expect(loaded?.text).toBe(guide.trim());
    expect(loaded?.metadata).toEqual({
      source: 'guide.md',
      team: 'port',
      year: 2024,
      document_id: ids['guide.md'],
      media_type: 'text/markdown',
      language: 'en',
    });
    expect(docs.find((d) => d.metadata.source === 'note.txt')?.text).toBe(note);
  });

  it('loads given documents by id, a skipped duplicate as its original with its own metadata', async () => {
    const reader = new SluiceReader({ baseUrl: server.url, apiKey: server.adminKey });
    const [copy, original] = await reader.loadData({
      documentIds: [ids['note-copy.txt'] ?? '', ids['note.txt'] ?? ''],
    });
    expect(copy).toMatchObject({ id_: ids['note-copy.txt'], text: note, metadata: { team: 'copy' } });
    expect(original).toMatchObject({ id_: ids['note.txt'], text: note, metadata: { team: 'ferries' } });
  });

  it('reads a document of any size whole, its chunks a page at a time', async () => {
    const stored = await client.documents.get(ids['ledger.txt'] ?? '');
    expect(stored.progress.chunks_total).toBeGreaterThan(200);
    const [read, ...more] = await new SluiceReader({ client, collection: 'ledger' }).loadData();
    expect(more).toEqual([]);
    expect(read?.id_).toBe(stored.id);
    expect(read?.text).toBe(ledger);
  });

  it('refuses, saying why, what it cannot read whole or was not asked to read', async () => {
    const reader = new SluiceReader({ client });
    await expect(reader.loadData({ documentIds: [ids['broken.txt'] ?? ''] })).rejects.toThrow(
      /broken\.txt .* is failed: only a completed document/,
    );
    await expect(
      new SluiceReader({ client, collection: 'harbour' }).loadData({ documentIds: [ids['ledger.txt'] ?? ''] }),
    ).rejects.toThrow(/not in the collection/);
    await expect(reader.loadData()).rejects.toThrow(/needs a `collection`/);
  });

  it("surfaces Sluice's errors with their codes", async () => {
    await expect(new SluiceReader({ client }).loadData({ documentIds: ['doc_missing'] })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(new SluiceReader({ client, collection: 'nowhere' }).loadData()).rejects.toMatchObject({
      code: 'not_found',
    });
    const stranger = new SluiceReader({ baseUrl: server.url, apiKey: 'sk_not_a_key', collection: 'harbour' });
    await expect(stranger.loadData()).rejects.toMatchObject({ code: 'unauthorized' });
  });
});
