import { Document } from '@langchain/core/documents';
import { SluiceApiError, SluiceClient } from '@sluice/client';
import { SluiceIngestError, SluiceServerEmbeddings, SluiceVectorStore, toSluiceMetadata } from '@sluice/langchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../../../test/helpers/live-server.js';

describe('SluiceVectorStore (LangChain) against a live sluice serve', () => {
  let server: LiveServer;
  let client: SluiceClient;
  let store: SluiceVectorStore;
  const sources = (docs: Document[]): unknown[] => docs.map((d) => d.metadata.source);
  /** Documents a text search for `word` finds (text search ranks no chunk that lacks the word). */
  const withWord = (word: string, on = store): Promise<Document[]> =>
    new SluiceVectorStore({ client, collection: on.collection, mode: 'text' }).similaritySearch(word, 10);

  beforeAll(async () => {
    server = await startLiveServer({ SLUICE_RATE_LIMIT_PER_MINUTE: '6000' });
    client = new SluiceClient({ baseUrl: server.url, apiKey: server.adminKey });
    store = new SluiceVectorStore({ client, collection: 'langchain-store' });
  });
  afterAll(() => server.stop());

  it('adds documents (creating the collection), then finds them with their metadata, flattened', async () => {
    const ids = await store.addDocuments([
      new Document({
        pageContent: 'The lighthouse keeper winds the clockwork lamp every evening at dusk.',
        metadata: {
          source: 'keepers.md',
          team: 'coast',
          tags: ['lamp', 'night'],
          loc: { lines: { from: 1, to: 3 } },
          checked: new Date('2024-05-01T00:00:00Z'),
          nothing: null,
          mixed: [1, { no: true }],
        },
      }),
      new Document({
        pageContent: 'Ferries leave the harbour on the hour until midnight.',
        metadata: { team: 'port' },
      }),
    ]);
    expect(ids).toHaveLength(2);
    expect(ids.every((id) => id.startsWith('doc_'))).toBe(true);
    expect((await client.collections.find('langchain-store')).id).toMatch(/^col_/);

    const [lamp] = await store.similaritySearch('clockwork lamp at dusk', 1);
    expect(lamp).toBeInstanceOf(Document);
    expect(lamp?.pageContent).toBe('The lighthouse keeper winds the clockwork lamp every evening at dusk.');
    expect(lamp?.metadata).toMatchObject({
      source: 'keepers.md',
      team: 'coast',
      tags: ['lamp', 'night'],
      'loc.lines.from': 1,
      'loc.lines.to': 3,
      checked: '2024-05-01T00:00:00.000Z',
      documentId: ids[0],
      chunkIndex: 0,
    });
    expect(lamp?.metadata).not.toHaveProperty('nothing');
    expect(lamp?.metadata).not.toHaveProperty('mixed');
    // Without a source of its own, a document's source is its file in Sluice.
    const [ferry] = await withWord('ferries');
    expect(ferry?.metadata).toMatchObject({
      team: 'port',
      documentId: ids[1],
      source: expect.stringMatching(/\.txt$/),
    });
  });

  it('similaritySearchWithScore: at most k, best first, each score the one Sluice gave', async () => {
    await store.addDocuments(
      ['Tide tables are printed weekly.', 'The tide turns twice a day.', 'Gulls follow the fishing boats.'].map(
        (pageContent) => new Document({ pageContent, metadata: { team: 'tides' } }),
      ),
    );
    const found = await store.similaritySearchWithScore('when does the tide turn', 2);
    expect(found).toHaveLength(2);
    const scores = found.map(([, score]) => score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const [doc, score] of found) {
      expect(doc.metadata.score).toBe(score);
    }
    expect(await store.similaritySearchWithScore('tide', 5)).toHaveLength(5);
  });

  it("keeps to the filter, in Sluice's own filter language", async () => {
    const tides = await store.similaritySearch('boats and lamps', 10, { metadata: { team: 'tides' } });
    expect(tides).toHaveLength(3);
    expect(tides.every((d) => d.metadata.team === 'tides')).toBe(true);
    const tagged = await store.similaritySearchWithScore('anything at all', 10, { metadata: { tags: 'night' } });
    expect(tagged.map(([d]) => d.metadata.team)).toEqual(['coast']);
  });

  it('deletes documents by the ids addDocuments answered', async () => {
    const ids = await store.addDocuments([new Document({ pageContent: 'The quartermaster counts the barrels.' })]);
    expect(sources(await withWord('quartermaster'))).toHaveLength(1);
    await store.delete({ ids });
    expect(await withWord('quartermaster')).toEqual([]);
    await expect(client.documents.get(ids[0] ?? '')).rejects.toMatchObject({ code: 'not_found' });
    await store.delete({ ids: ['doc_never_was', 'nor-this'] });
  });

  it("answers a result's id as its document's, which delete takes; a document's own id names it when no ids are given", async () => {
    const [added] = await store.addDocuments([
      new Document({ id: 'pelican-doc', pageContent: 'The pelican fishes at dawn.' }),
    ]);
    const [found] = await store.similaritySearch('pelican dawn', 1);
    expect(found?.id).toBe(added);
    expect(found?.metadata).toMatchObject({ documentId: added, chunkId: expect.any(Number) });
    expect(sources(await withWord('pelican'))).toEqual(['pelican-doc.txt']);
    await store.delete({ ids: [found?.id ?? ''] });
    expect(await withWord('pelican')).toEqual([]);
  });

  it('deletes by a name only what addDocuments could have named so', async () => {
    const collectionId = (await client.collections.find('langchain-store')).id;
    const { batch } = await client.documents.upload(collectionId, [
      { name: 'guide/heron.txt', data: 'A heron waits.' },
    ]);
    await client.waitForBatch(batch.id);
    await store.delete({ ids: ['guide/heron'] });
    expect(sources(await withWord('heron'))).toEqual(['guide/heron.txt']);
  });

  it('names documents by the ids given: the same id again replaces the text, and deletes by it', async () => {
    const [first] = await store.addDocuments([new Document({ pageContent: 'Version one mentions albatross.' })], {
      ids: ['note-1'],
    });
    const [second] = await store.addDocuments([new Document({ pageContent: 'Version two mentions cormorant.' })], {
      ids: ['note-1'],
    });
    expect(second).toBe(first);
    expect(await withWord('albatross')).toEqual([]);
    expect(sources(await withWord('cormorant'))).toEqual(['note-1.txt']);
    await store.delete({ ids: ['note-1'] });
    expect(await withWord('cormorant')).toEqual([]);
    await expect(store.addDocuments([new Document({ pageContent: 'x' })], { ids: ['a/b'] })).rejects.toThrow(
      /letters, digits/,
    );
    await expect(store.addDocuments([new Document({ pageContent: 'x' })], { ids: [] })).rejects.toThrow(/0 ids/);
  });

  it('asRetriever works: k, filter, and Documents out', async () => {
    const retriever = store.asRetriever({ k: 2, filter: { metadata: { team: 'tides' } } });
    const docs = await retriever.invoke('tide');
    expect(docs).toHaveLength(2);
    expect(docs.every((d) => d instanceof Document && d.metadata.team === 'tides')).toBe(true);
    expect(await store.asRetriever(1).invoke('ferries harbour')).toHaveLength(1);
    await expect(store.asRetriever({ searchType: 'mmr' }).invoke('tide')).rejects.toThrow(/max marginal relevance/);
  });

  it('fromTexts and fromDocuments fill a collection and answer its store', async () => {
    const fromTexts = await SluiceVectorStore.fromTexts(
      ['Puffins nest in burrows on the cliffs.', 'Seals bask on the skerries at low tide.'],
      [{ team: 'birds' }, { team: 'seals' }],
      new SluiceServerEmbeddings(),
      { client, collection: 'langchain-from-texts' },
    );
    expect((await fromTexts.similaritySearch('puffin burrows', 1))[0]?.metadata.team).toBe('birds');
    const fromDocuments = await SluiceVectorStore.fromDocuments(
      [new Document({ pageContent: 'Kelp forests shelter young fish.', metadata: { team: 'kelp' } })],
      new SluiceServerEmbeddings(),
      { baseUrl: server.url, apiKey: server.adminKey, collection: 'langchain-from-documents' },
    );
    expect(sources(await withWord('kelp', fromDocuments))).toHaveLength(1);
  });

  it('throws "not supported" for vectors: Sluice embeds on the server, and its embeddings compute nothing', async () => {
    await expect(store.addVectors([[0.1, 0.2]], [new Document({ pageContent: 'x' })])).rejects.toThrow(
      /addVectors is not supported: Sluice embeds on the server/,
    );
    await expect(store.similaritySearchVectorWithScore([0.1, 0.2], 1)).rejects.toThrow(/not supported/);
    await expect(store.embeddings.embedQuery('x')).rejects.toThrow(/Sluice embeds on the server/);
    expect(store._vectorstoreType()).toBe('sluice');
    expect(store.lc_namespace).toEqual(['langchain', 'vectorstores', 'sluice']);
  });

  it('throws SluiceIngestError naming the documents Sluice could not index; the others stay', async () => {
    const error = await store
      .addDocuments([
        new Document({ pageContent: 'A perfectly good note about sandpipers.' }),
        new Document({ pageContent: `binary\u0000\u0001\u0002 bytes` }),
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceIngestError);
    const failure = (error as SluiceIngestError).failures;
    expect(failure).toEqual([
      expect.objectContaining({ state: 'failed', code: 'unsupported_media_type', documentId: expect.any(String) }),
    ]);
    expect((error as SluiceIngestError).message).toMatch(/1 of 2 documents were not indexed/);
    expect((error as SluiceIngestError).documentIds[0]).toMatch(/^doc_/);
    expect(sources(await withWord('sandpipers'))).toHaveLength(1);
  });

  it('with waitSeconds 0, follows each batch by its events to the same end', async () => {
    const streaming = new SluiceVectorStore({ client, collection: 'langchain-store', waitSeconds: 0 });
    const [id] = await streaming.addDocuments([new Document({ pageContent: 'Stormy petrels skim the waves.' })]);
    expect((await client.documents.get(id ?? '')).state).toBe('completed');
    expect(sources(await withWord('petrels'))).toHaveLength(1);
    await expect(
      streaming.addDocuments([
        new Document({ pageContent: 'Shearwaters glide for hours.' }),
        new Document({ pageContent: `binary\u0000\u0001\u0002 bytes again` }),
      ]),
    ).rejects.toMatchObject({
      failures: [expect.objectContaining({ state: 'failed', code: 'unsupported_media_type' })],
    });
  });

  it('leaves out metadata Sluice cannot hold, or refuses it when strict', async () => {
    expect(
      toSluiceMetadata({ a: { b: [1, 2] }, c: undefined, d: Number.NaN, e: [new Date(0)], 'Creation Date': 'x' }),
    ).toEqual({ metadata: { 'a.b': [1, 2], e: ['1970-01-01T00:00:00.000Z'] }, dropped: ['c', 'd', 'Creation Date'] });
    const [id] = await store.addDocuments([
      new Document({
        pageContent: 'Guillemots crowd the ledges.',
        metadata: { pdf: { info: { 'Creation Date': 1, Pages: 2 } } },
      }),
    ]);
    expect((await client.documents.get(id ?? '')).metadata).toEqual({ 'pdf.info.Pages': 2 });
    const strict = new SluiceVectorStore({ client, collection: 'langchain-store', strictMetadata: true });
    await expect(
      strict.addDocuments([new Document({ pageContent: 'x', metadata: { fine: 1, gone: null, 'bad key': 2 } })]),
    ).rejects.toThrow(/cannot store the metadata gone, bad key of document 0/);
  });

  it("surfaces Sluice's errors with their codes", async () => {
    const missing = new SluiceVectorStore({ client, collection: 'never-written' });
    const notFound = await missing.similaritySearch('anything').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(SluiceApiError);
    expect(notFound).toMatchObject({ code: 'not_found' });
    await expect(store.similaritySearch('tide', 2, { colour: 'red' } as never)).rejects.toMatchObject({
      code: 'invalid_input',
    });
    const stranger = new SluiceVectorStore({ baseUrl: server.url, apiKey: 'sk_not_a_key', collection: 'x' });
    await expect(stranger.addDocuments([new Document({ pageContent: 'z' })])).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });
});
