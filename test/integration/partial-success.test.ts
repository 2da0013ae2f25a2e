import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/core/errors.js';
import { createHashEmbedder } from '../../src/embedders/hash-embedder.js';
import type { Embedder } from '../../src/ports/index.js';
import { client, startTestServer } from '../helpers/test-server.js';
import { startPipeline } from '../helpers/pipeline.js';

/** The hash embedder behind a model that refuses, or keeps failing on, any input with a marker. */
function refusing(marker: string, code: 'embedder_rejected' | 'embedder_unavailable'): Embedder {
  const inner = createHashEmbedder({ dimension: 32 });
  return {
    spec: inner.spec,
    async embed(texts, signal) {
      if (texts.some((t) => t.includes(marker))) {
        throw new SluiceError(
          code,
          `the model ${code === 'embedder_rejected' ? 'refuses' : 'keeps failing on'} this input`,
        );
      }
      return inner.embed(texts, signal);
    },
  };
}

async function run(embedder: Embedder, partialSuccess: boolean) {
  // Ten paragraphs of about 30 tokens: one chunk each, five batches of two; the seventh is poisoned.
  const pipeline = await startPipeline(embedder, {
    maxAttempts: 3,
    chunker: { maxTokens: 40, overlapTokens: 0 },
    embedBatchSize: 2,
    concurrency: 1,
    partialSuccess,
  });
  expect(pipeline.collection.partialSuccess).toBe(partialSuccess);
  const text = Array.from(
    { length: 10 },
    (_, i) => `Paragraph ${i} ${i === 6 ? 'POISON ' : ''}${'about partial success and chunks. '.repeat(4)}`,
  ).join('\n\n');
  const id = await pipeline.add('a.md', text);
  await pipeline.queue.idle();
  const result = {
    doc: await pipeline.store.getDocument(id),
    chunks: await pipeline.store.countChunks(pipeline.collection.id),
    seen: pipeline.seen,
  };
  await pipeline.queue.close();
  await pipeline.store.close();
  return result;
}

describe('partial success', () => {
  it('publishes a document without the chunks the model refuses when the collection allows it', async () => {
    const { doc, chunks, seen } = await run(refusing('POISON', 'embedder_rejected'), true);
    expect(doc).toMatchObject({
      state: 'completed_with_errors',
      errorCode: 'embedder_rejected',
      attempts: 1,
      failedChunks: [6, 7],
    });
    expect(doc!.chunksTotal).toBe(10);
    expect(doc!.chunksEmbedded).toBe(8);
    expect(doc!.errorMessage).toMatch(/^2 of 10 chunks could not be embedded/);
    expect(chunks).toBe(8);
    const last = seen.filter((e) => e.type === 'document.state').at(-1);
    expect(last).toMatchObject({ state: 'completed_with_errors', errorCode: 'embedder_rejected' });
  });

  it('retries a transient failure while attempts last, then publishes what embedded', async () => {
    const { doc, chunks } = await run(refusing('POISON', 'embedder_unavailable'), true);
    expect(doc).toMatchObject({
      state: 'completed_with_errors',
      errorCode: 'embedder_unavailable',
      attempts: 3,
      failedChunks: [6, 7],
    });
    expect(chunks).toBe(8);
  });

  it('fails the document, publishing nothing, when the collection does not allow it', async () => {
    const { doc, chunks } = await run(refusing('POISON', 'embedder_rejected'), false);
    expect(doc).toMatchObject({ state: 'failed', errorCode: 'embedder_rejected', failedChunks: [] });
    expect(chunks).toBe(0);
  });

  it('fails the document when most chunks failed, whatever the policy', async () => {
    const { doc, chunks } = await run(refusing('partial success', 'embedder_rejected'), true);
    expect(doc).toMatchObject({ state: 'failed', errorCode: 'embedder_rejected' });
    expect(chunks).toBe(0);
  });
});

describe('partial success, retried', () => {
  it('a partly completed document retried once the model accepts everything completes whole', async () => {
    const model = { refusing: true };
    const inner = refusing('POISON', 'embedder_rejected');
    const embedder: Embedder = {
      spec: inner.spec,
      embed: (texts, signal) =>
        model.refusing ? inner.embed(texts, signal) : createHashEmbedder({ dimension: 32 }).embed(texts, signal),
    };
    const pipeline = await startPipeline(embedder, {
      maxAttempts: 3,
      chunker: { maxTokens: 40, overlapTokens: 0 },
      embedBatchSize: 2,
      partialSuccess: true,
    });
    const text = Array.from(
      { length: 10 },
      (_, i) => `Paragraph ${i} ${i === 6 ? 'POISON ' : ''}${'about partial success and chunks. '.repeat(4)}`,
    ).join('\n\n');
    const id = await pipeline.add('a.md', text);
    await pipeline.queue.idle();
    expect(await pipeline.store.getDocument(id)).toMatchObject({
      state: 'completed_with_errors',
      failedChunks: [6, 7],
    });
    model.refusing = false;
    const [requeued] = await pipeline.store.requeue({ documentId: id, state: 'completed_with_errors' });
    expect(requeued).toMatchObject({ state: 'queued', failedChunks: [], errorCode: null });
    await pipeline.queue.enqueue([{ documentId: id }]);
    await pipeline.queue.idle();
    expect(await pipeline.store.getDocument(id)).toMatchObject({
      state: 'completed',
      failedChunks: [],
      chunksEmbedded: 10,
    });
    expect(await pipeline.store.countChunks(pipeline.collection.id)).toBe(10);
    await pipeline.queue.close();
    await pipeline.store.close();
  });
});

describe('partial success over HTTP', () => {
  it('is a collection policy, set at creation or changed later', async () => {
    const server = await startTestServer();
    try {
      const call = client(server.url, server.adminKey);
      const created = await call('POST', '/v1/collections', { name: 'lenient', partial_success: true });
      expect(created.status).toBe(201);
      expect(created.body.partial_success).toBe(true);
      expect((await call('POST', '/v1/collections', { name: 'strict' })).body.partial_success).toBe(false);
      const changed = await call('PATCH', `/v1/collections/${created.body.id}`, { partial_success: false });
      expect(changed.body.partial_success).toBe(false);
      expect((await call('GET', `/v1/collections/${created.body.id}`)).body.partial_success).toBe(false);
    } finally {
      await server.close();
    }
  });
});
