import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../../src/blobs/fs-blob-store.js';
import { SluiceError } from '../../src/core/errors.js';
import { createDocumentProcessor } from '../../src/core/process-document.js';
import { createHashEmbedder } from '../../src/embedders/hash-embedder.js';
import { createLedgerEventBus } from '../../src/events/ledger-event-bus.js';
import { createDocumentParser } from '../../src/parsers/create-document-parser.js';
import type { Embedder, SluiceEvent } from '../../src/ports/index.js';
import { createLocalQueue } from '../../src/queue/local/local-queue.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { createCl100kTokenizer } from '../../src/tokenizers/cl100k-tokenizer.js';
import { client, startTestServer } from '../helpers/test-server.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** The hash embedder behind a model that refuses, or keeps failing on, any input with a marker. */
function refusing(marker: string, code: 'embedder_rejected' | 'embedder_unavailable'): Embedder {
  const inner = createHashEmbedder({ dimension: 32 });
  return {
    spec: inner.spec,
    async embed(texts, signal) {
      if (texts.some((t) => t.includes(marker))) {
        throw new SluiceError(code, `the model ${code === 'embedder_rejected' ? 'refuses' : 'keeps failing on'} this input`);
      }
      return inner.embed(texts, signal);
    },
  };
}

async function run(embedder: Embedder, partialSuccess: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-partial-'));
  const store = createSqliteStore({ path: join(dir, 'db') });
  const blobs = createFsBlobStore(join(dir, 'blobs'));
  const events = createLedgerEventBus(store, (e) => {
    throw e;
  });
  const seen: SluiceEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const queue = createLocalQueue({ onHandlerError: (e) => { throw e; } });
  const processor = createDocumentProcessor(
    { store, blobs, events, embedder, logger: silent, tokenizer: createCl100kTokenizer(), parser: createDocumentParser({ maxFileBytes: 1e7, parseTimeoutMs: 10_000 }) },
    { chunker: { maxTokens: 40, overlapTokens: 0 }, embedBatchSize: 2, maxAttempts: 3, backoff: { baseMs: 5, maxMs: 10 } },
  );
  queue.start(processor.document, { concurrency: 1, batches: processor.batches });
  const collection = await store.ensureCollection((await store.ensureTenant('t')).id, 'c', embedder.spec);
  if (partialSuccess) {
    expect((await store.setCollectionPartialSuccess(collection.id, true))?.partialSuccess).toBe(true);
  }
  const batch = await store.createBatch(collection.id, 'b');
  // Ten paragraphs of about 30 tokens: one chunk each, five batches of two; the seventh is poisoned.
  const text = Array.from({ length: 10 }, (_, i) => `Paragraph ${i} ${i === 6 ? 'POISON ' : ''}${'about partial success and chunks. '.repeat(4)}`).join('\n\n');
  const blob = await blobs.put(Readable.from([Buffer.from(text)]), 1e7);
  const { document } = await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source: 'a.md', sha256: blob.sha256, sizeBytes: blob.sizeBytes });
  await queue.enqueue([{ documentId: document.id }]);
  await queue.idle();
  const result = { doc: await store.getDocument(document.id), chunks: await store.countChunks(collection.id), seen };
  await queue.close();
  await store.close();
  return result;
}

describe('partial success', () => {
  it('publishes a document without the chunks the model refuses when the collection allows it', async () => {
    const { doc, chunks, seen } = await run(refusing('POISON', 'embedder_rejected'), true);
    expect(doc).toMatchObject({ state: 'completed_with_errors', errorCode: 'embedder_rejected', attempts: 1, failedChunks: [6, 7] });
    expect(doc!.chunksTotal).toBe(10);
    expect(doc!.chunksEmbedded).toBe(8);
    expect(doc!.errorMessage).toMatch(/^2 of 10 chunks could not be embedded/);
    expect(chunks).toBe(8);
    const last = seen.filter((e) => e.type === 'document.state').at(-1);
    expect(last).toMatchObject({ state: 'completed_with_errors', errorCode: 'embedder_rejected' });
  });

  it('retries a transient failure while attempts last, then publishes what embedded', async () => {
    const { doc, chunks } = await run(refusing('POISON', 'embedder_unavailable'), true);
    expect(doc).toMatchObject({ state: 'completed_with_errors', errorCode: 'embedder_unavailable', attempts: 3, failedChunks: [6, 7] });
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
