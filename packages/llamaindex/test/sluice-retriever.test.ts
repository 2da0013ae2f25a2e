import { MetadataMode, NodeRelationship, TextNode } from '@llamaindex/core/schema';
import { SluiceApiError, SluiceClient } from '@sluice/client';
import { SluiceRetriever, type SluiceRetrieverOptions } from '@sluice/llamaindex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../../../test/helpers/live-server.js';

const facts = [
  {
    name: 'otters.txt',
    text: 'Sea otters hold hands while they sleep so that they do not drift apart.',
    kind: 'animal',
  },
  { name: 'octopus.txt', text: 'An octopus has three hearts and blue blood.', kind: 'animal' },
  {
    name: 'eiffel.txt',
    text: 'The Eiffel Tower grows about fifteen centimetres in the summer heat.',
    kind: 'building',
  },
  { name: 'honey.txt', text: 'Honey found in ancient Egyptian tombs was still edible.', kind: 'food' },
  { name: 'bananas.txt', text: 'Bananas are berries, but strawberries are not.', kind: 'food' },
];

describe('SluiceRetriever (LlamaIndex) against a live sluice serve', () => {
  let server: LiveServer;
  let client: SluiceClient;
  let collectionId: string;
  const documentIds = new Map<string, string>();
  const retriever = (options: Partial<Omit<SluiceRetrieverOptions, 'client' | 'baseUrl' | 'apiKey'>> = {}) =>
    new SluiceRetriever({ client, collection: 'facts', ...options });

  beforeAll(async () => {
    server = await startLiveServer({ SLUICE_RATE_LIMIT_PER_MINUTE: '6000' });
    client = new SluiceClient({ baseUrl: server.url, apiKey: server.adminKey });
    collectionId = (await client.collections.create({ name: 'facts' })).id;
    const files = facts.map((f) => ({ name: f.name, data: f.text, metadata: { kind: f.kind } }));
    const { batch, documents } = await client.documents.upload(collectionId, files, { wait: 30 });
    expect(batch.finished ? batch : await client.waitForBatch(batch.id)).toMatchObject({ counts: { completed: 5 } });
    documents.forEach((d) => documentIds.set(d.source, d.id));
  });
  afterAll(() => server.stop());

  it('retrieves TextNodes with their scores: id, text, metadata and the Sluice document as SOURCE', async () => {
    const found = await retriever({ similarityTopK: 5 }).retrieve('otters sleep holding hands');
    expect(found.length).toBeGreaterThan(0);
    const [best] = found;
    expect(best?.node).toBeInstanceOf(TextNode);
    const node = best?.node as TextNode;
    expect(node.id_).toMatch(/^\d+$/);
    expect(node.text).toBe(facts[0]?.text);
    expect(node.metadata).toEqual({
      source: 'otters.txt',
      kind: 'animal',
      document_id: documentIds.get('otters.txt'),
      chunk_index: 0,
      char_start: 0,
      char_end: facts[0]?.text.length,
      media_type: 'text/plain',
      language: 'en',
    });
    expect(node.sourceNode?.nodeId).toBe(documentIds.get('otters.txt'));
    expect(node.relationships[NodeRelationship.SOURCE]).toMatchObject({ metadata: { source: 'otters.txt' } });
    expect(typeof best?.score).toBe('number');
    const scores = found.map((n) => n.score ?? 0);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // What an LLM reads of the node: its meaning, not Sluice's bookkeeping.
    const forLlm = node.getContent(MetadataMode.LLM);
    expect(forLlm).toContain('source: otters.txt');
    expect(forLlm).toContain('kind: animal');
    expect(forLlm).not.toContain('document_id');
  });

  it('returns at most similarityTopK nodes (2 by default, as LlamaIndex)', async () => {
    expect(await retriever().retrieve('octopus hearts')).toHaveLength(2);
    expect(await retriever({ similarityTopK: 1 }).retrieve('octopus hearts')).toHaveLength(1);
    expect(await retriever({ similarityTopK: 4 }).retrieve('octopus hearts')).toHaveLength(4);
  });

  it('keeps to its filter and mode, and takes a query bundle of message parts', async () => {
    const food = await retriever({ similarityTopK: 5, filter: { metadata: { kind: 'food' } } }).retrieve('tombs');
    expect(food.map((n) => n.node.metadata.source).sort()).toEqual(['bananas.txt', 'honey.txt']);
    const text = await retriever({ similarityTopK: 5, mode: 'text' }).retrieve({
      query: [{ type: 'text', text: 'strawberries' }],
    });
    expect(text.map((n) => n.node.metadata.source)).toEqual(['bananas.txt']);
    const byId = new SluiceRetriever({ baseUrl: server.url, apiKey: server.adminKey, collection: collectionId });
    expect((await byId.retrieve('Eiffel Tower'))[0]?.node.metadata.source).toBe('eiffel.txt');
  });

  it("surfaces Sluice's errors with their codes", async () => {
    const missing = await retriever({ collection: 'no-such-collection' })
      .retrieve('anything')
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SluiceApiError);
    expect(missing).toMatchObject({ code: 'not_found' });
    const stranger = new SluiceRetriever({ baseUrl: server.url, apiKey: 'sk_not_a_key', collection: 'facts' });
    await expect(stranger.retrieve('otters')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    await expect(retriever({ filter: { colour: 'red' } as never }).retrieve('otters')).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
});
