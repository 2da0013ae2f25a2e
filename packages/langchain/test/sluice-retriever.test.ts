import type { Callbacks } from '@langchain/core/callbacks/manager';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { Document } from '@langchain/core/documents';
import { RunnableLambda } from '@langchain/core/runnables';
import { SluiceApiError, SluiceClient } from '@sluice/client';
import { SluiceRetriever, type SluiceFilter, type SluiceSearchMode } from '@sluice/langchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../../../test/helpers/live-server.js';

const facts = [
  {
    name: 'otters.txt',
    text: 'Sea otters hold hands while they sleep so that they do not drift apart.',
    kind: 'animal',
    year: 2021,
  },
  { name: 'octopus.txt', text: 'An octopus has three hearts and blue blood.', kind: 'animal', year: 2019 },
  {
    name: 'eiffel.txt',
    text: 'The Eiffel Tower grows about fifteen centimetres in the summer heat.',
    kind: 'building',
    year: 2020,
  },
  { name: 'honey.txt', text: 'Honey found in ancient Egyptian tombs was still edible.', kind: 'food', year: 2018 },
  { name: 'bananas.txt', text: 'Bananas are berries, but strawberries are not.', kind: 'food', year: 2022 },
];

interface Options {
  collection?: string;
  topK?: number;
  mode?: SluiceSearchMode;
  filter?: SluiceFilter;
  callbacks?: Callbacks;
}

describe('SluiceRetriever (LangChain) against a live sluice serve', () => {
  let server: LiveServer;
  let client: SluiceClient;
  let collectionId: string;
  const documentIds = new Map<string, string>();
  const retriever = (options: Options = {}): SluiceRetriever =>
    new SluiceRetriever({ client, collection: 'facts', ...options });

  beforeAll(async () => {
    server = await startLiveServer({ SLUICE_RATE_LIMIT_PER_MINUTE: '6000' });
    client = new SluiceClient({ baseUrl: server.url, apiKey: server.adminKey });
    collectionId = (await client.collections.create({ name: 'facts' })).id;
    const files = facts.map((f) => ({ name: f.name, data: f.text, metadata: { kind: f.kind, year: f.year } }));
    const { batch, documents } = await client.documents.upload(collectionId, files, { wait: 30 });
    expect(batch.finished ? batch : await client.waitForBatch(batch.id)).toMatchObject({ counts: { completed: 5 } });
    documents.forEach((d) => documentIds.set(d.source, d.id));
  });
  afterAll(() => server.stop());

  it('invoke returns Documents: the chunk text, its metadata, source, document id, score and chunk position', async () => {
    const docs = await retriever({ topK: 5 }).invoke('otters sleep holding hands');
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc).toBeInstanceOf(Document);
      expect(doc.id).toBe(doc.metadata.documentId);
      expect(doc.metadata.chunkId).toEqual(expect.any(Number));
      expect(typeof doc.pageContent).toBe('string');
    }
    const otters = docs.find((d) => d.metadata.source === 'otters.txt');
    expect(otters?.pageContent).toBe(facts[0]?.text);
    expect(otters?.metadata).toEqual({
      source: 'otters.txt',
      kind: 'animal',
      year: 2021,
      documentId: documentIds.get('otters.txt'),
      chunkId: expect.any(Number),
      chunkIndex: 0,
      score: expect.any(Number),
      page: null,
      charStart: 0,
      charEnd: facts[0]?.text.length,
      mediaType: 'text/plain',
      language: 'en',
    });
    expect(docs[0]?.metadata.source).toBe('otters.txt');
  });

  it('returns at most topK documents, ranked best first', async () => {
    expect(await retriever({ topK: 1 }).invoke('octopus hearts')).toHaveLength(1);
    expect(await retriever({ topK: 3 }).invoke('octopus hearts')).toHaveLength(3);
    const all = await retriever().invoke('octopus hearts');
    expect(all).toHaveLength(4);
    const scores = all.map((d) => d.metadata.score as number);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(all[0]?.metadata.source).toBe('octopus.txt');
  });

  it('keeps to its filter: metadata values, ranges, source prefixes', async () => {
    const food = await retriever({ topK: 5, filter: { metadata: { kind: 'food' } } }).invoke('ancient tombs');
    expect(food.map((d) => d.metadata.source).sort()).toEqual(['bananas.txt', 'honey.txt']);
    const recent = await retriever({ topK: 5, filter: { metadata: { year: { gte: 2020 } } } }).invoke('facts');
    expect(recent.map((d) => d.metadata.year as number).every((year) => year >= 2020)).toBe(true);
    expect(recent).toHaveLength(3);
    const prefixed = await retriever({ topK: 5, filter: { source_prefix: 'o' } }).invoke('animals');
    expect(prefixed.map((d) => d.metadata.source).sort()).toEqual(['octopus.txt', 'otters.txt']);
  });

  it('searches in the mode asked: text finds the word and nothing else', async () => {
    const docs = await retriever({ topK: 5, mode: 'text' }).invoke('strawberries');
    expect(docs.map((d) => d.metadata.source)).toEqual(['bananas.txt']);
  });

  it('takes the collection by name or id, and a client or a URL and key', async () => {
    const byName = await retriever({ topK: 2 }).invoke('Eiffel Tower');
    const byId = await new SluiceRetriever({
      baseUrl: server.url,
      apiKey: server.adminKey,
      collection: collectionId,
      topK: 2,
    }).invoke('Eiffel Tower');
    expect(byId.map((d) => d.id)).toEqual(byName.map((d) => d.id));
    expect(byId[0]?.metadata.source).toBe('eiffel.txt');
  });

  it('runs callbacks given to it and to invoke, and works as a step of a chain', async () => {
    const seen: string[] = [];
    const handler = (who: string) => ({
      handleRetrieverStart: (_retriever: unknown, query: string) => void seen.push(`${who} start ${query}`),
      handleRetrieverEnd: (docs: Document[]) => void seen.push(`${who} end ${docs.length}`),
    });
    const r = retriever({ topK: 2, callbacks: [handler('fields')] });
    await r.invoke('honey', { callbacks: [handler('config')] });
    await awaitAllCallbacks();
    expect(seen.sort()).toEqual(['config end 2', 'config start honey', 'fields end 2', 'fields start honey'].sort());

    const chain = r.pipe(RunnableLambda.from((docs: Document[]) => docs.map((d) => d.metadata.source as string)));
    expect(await chain.invoke('honey tombs')).toContain('honey.txt');
  });

  it("surfaces Sluice's errors with their codes", async () => {
    const missing = await retriever({ collection: 'no-such-collection' })
      .invoke('anything')
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SluiceApiError);
    expect(missing).toMatchObject({ code: 'not_found' });
    const stranger = new SluiceRetriever({ baseUrl: server.url, apiKey: 'sk_not_a_key', collection: 'facts' });
    await expect(stranger.invoke('otters')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    await expect(retriever({ filter: { colour: 'red' } as never }).invoke('otters')).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(retriever().invoke('?!')).rejects.toMatchObject({ code: 'invalid_input' });
    expect(() => new SluiceRetriever({ collection: 'facts' } as never)).toThrow(/baseUrl/);
  });
});
