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

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Stands in for a hosted embedding API (unreachable from tests): the real hash embedder behind a
 * script of failures, as a rate-limited or flaky service would answer.
 */
function scriptedEmbedder(script: (call: number, signal?: AbortSignal) => Promise<void>): Embedder & { calls: number } {
  const inner = createHashEmbedder({ dimension: 64 });
  const embedder = {
    spec: inner.spec,
    calls: 0,
    async embed(texts: string[], signal?: AbortSignal) {
      embedder.calls++;
      await script(embedder.calls, signal);
      return inner.embed(texts, signal);
    },
  };
  return embedder;
}

async function setup(embedder: Embedder, maxAttempts = 4, autoStart = true) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-retry-'));
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
    { chunker: { maxTokens: 50, overlapTokens: 5 }, embedBatchSize: 4, maxAttempts, backoff: { baseMs: 20, maxMs: 100 } },
  );
  const start = () => queue.start(processor.document, { concurrency: 2, batches: processor.batches });
  if (autoStart) {
    start();
  }
  const collection = await store.ensureCollection((await store.ensureTenant('t')).id, 'c', embedder.spec);
  const batch = await store.createBatch(collection.id, 'b');
  const add = async (source: string, text: string) => {
    const blob = await blobs.put(Readable.from([Buffer.from(text)]), 1e7);
    const { document } = await store.registerDocument({ collectionId: collection.id, batchId: batch.id, source, sha256: blob.sha256, sizeBytes: blob.sizeBytes });
    await queue.enqueue([{ documentId: document.id }]);
    return document.id;
  };
  return { store, queue, add, seen, collection, start };
}

const text = 'Sentence about the retry path and its backoff. '.repeat(40);

describe('retries, permanent failures and cancel', () => {
  it('retries transient embedder failures with backoff and completes', async () => {
    const embedder = scriptedEmbedder(async (call) => {
      if (call <= 2) {
        throw new SluiceError('embedder_rate_limited', `429 on call ${call}`);
      }
    });
    const { store, queue, add, seen } = await setup(embedder);
    const id = await add('a.txt', text);
    await queue.idle();
    expect(await store.getDocument(id)).toMatchObject({ state: 'completed', attempts: 3, errorCode: null });
    const states = seen.filter((e) => e.type === 'document.state').map((e) => (e.type === 'document.state' ? `${e.state}${e.errorCode ? `:${e.errorCode}` : ''}` : ''));
    expect(states.filter((s) => s === 'queued:embedder_rate_limited')).toHaveLength(2);
    expect(states.at(-1)).toBe('completed');
    await queue.close();
    await store.close();
  });

  it('fails after the configured attempts when the fault does not pass, and at once when it is permanent', async () => {
    const embedder = scriptedEmbedder(async () => {
      throw new SluiceError('embedder_failed', 'service down');
    });
    const { store, queue, add } = await setup(embedder, 3);
    const id = await add('a.txt', text);
    await queue.idle();
    expect(await store.getDocument(id)).toMatchObject({ state: 'failed', attempts: 3, errorCode: 'embedder_failed' });
    expect(embedder.calls).toBe(3);
    await queue.close();
    await store.close();

    const rejecting = scriptedEmbedder(async () => {
      throw new SluiceError('invalid_input', 'the model refuses this input');
    });
    const second = await setup(rejecting, 5);
    const other = await second.add('b.txt', text);
    await second.queue.idle();
    expect(await second.store.getDocument(other)).toMatchObject({ state: 'failed', attempts: 1, errorCode: 'invalid_input' });
    await second.queue.close();
    await second.store.close();
  });

  it('cancel stops a running document through its signal and publishes nothing of it', async () => {
    let release: () => void = () => undefined;
    const embedder = scriptedEmbedder((_call, signal) =>
      new Promise<void>((resolve, reject) => {
        release = resolve;
        signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      }),
    );
    const { store, queue, add, collection } = await setup(embedder);
    const id = await add('a.txt', text);
    await expect.poll(async () => (await store.getDocument(id))?.state).toBe('embedding');
    await store.cancel(id);
    await queue.cancel(id);
    release();
    await queue.idle();
    expect(await store.getDocument(id)).toMatchObject({ state: 'cancelled' });
    expect(await store.countChunks(collection.id)).toBe(0);
    await queue.close();
    await store.close();
  });

  it('a document whose process died in every attempt fails with worker_crashed instead of looping', async () => {
    const embedder = scriptedEmbedder(async () => undefined);
    const { store, queue, add, start, seen } = await setup(embedder, 2, false);
    const id = await add('poison.txt', text);
    const healthy = await add('healthy.txt', 'Another document about something else entirely. '.repeat(20));
    // Two attempts that began and never settled, as when the process is killed mid-parse each time.
    await store.claim(id, 'att_first');
    await store.claim(id, 'att_second');
    start();
    await queue.idle();
    expect(await store.getDocument(id)).toMatchObject({ state: 'failed', errorCode: 'worker_crashed', attempts: 3 });
    expect((await store.getDocument(id))?.errorMessage).toMatch(/stopped without finishing, 2 times/);
    expect(await store.getDocument(healthy)).toMatchObject({ state: 'completed', attempts: 1 });
    expect(embedder.calls).toBeGreaterThan(0);
    expect(seen.some((e) => e.type === 'document.state' && e.documentId === id && e.state === 'parsing' && e.attempt === 3)).toBe(false);
    await queue.close();
    await store.close();
  });
});
