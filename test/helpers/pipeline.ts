import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createFsBlobStore } from '../../src/blobs/fs-blob-store.js';
import type { ChunkerOptions } from '../../src/core/chunker.js';
import { createDocumentProcessor } from '../../src/services/process-document.js';
import { createLedgerEventBus } from '../../src/events/ledger-event-bus.js';
import { createDocumentParser } from '../../src/parsers/create-document-parser.js';
import { createInProcessSplitter } from '../../src/parsers/in-process-splitter.js';
import type { Embedder, SluiceEvent } from '../../src/ports/index.js';
import { createLocalQueue } from '../../src/queue/local/local-queue.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { createCl100kTokenizer } from '../../src/tokenizers/cl100k-tokenizer.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export interface PipelineOptions {
  maxAttempts?: number;
  chunker?: ChunkerOptions;
  embedBatchSize?: number;
  concurrency?: number;
  /** Start the workers at once (default), or later through `start()`. */
  autoStart?: boolean;
  partialSuccess?: boolean;
}

/**
 * The document pipeline on real parts in one process: a SQLite store in a temporary folder, the blob
 * store, the ledger event bus and the in-process queue, around the given embedder. Events are kept
 * in `seen`; `add` stores a text and queues it as a document.
 */
export async function startPipeline(embedder: Embedder, options: PipelineOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pipeline-'));
  const store = createSqliteStore({ path: join(dir, 'db') });
  const blobs = createFsBlobStore(join(dir, 'blobs'));
  const events = createLedgerEventBus(store, (e) => {
    throw e;
  });
  const seen: SluiceEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const queue = createLocalQueue({
    onHandlerError: (e) => {
      throw e;
    },
  });
  const processor = createDocumentProcessor(
    {
      store,
      blobs,
      events,
      embedder,
      logger: silent,
      splitter: createInProcessSplitter(
        createDocumentParser({ maxFileBytes: 1e7, parseTimeoutMs: 10_000 }),
        createCl100kTokenizer(),
        options.chunker ?? { maxTokens: 50, overlapTokens: 5 },
      ),
    },
    {
      embedBatchSize: options.embedBatchSize ?? 4,
      maxAttempts: options.maxAttempts ?? 4,
      backoff: { baseMs: 20, maxMs: 100 },
    },
  );
  const start = () =>
    queue.start(processor.document, { concurrency: options.concurrency ?? 2, batches: processor.batches });
  if (options.autoStart !== false) {
    start();
  }
  let collection = await store.ensureCollection((await store.ensureTenant('t')).id, 'c', embedder.spec);
  if (options.partialSuccess) {
    collection = (await store.setCollectionPartialSuccess(collection.id, true)) ?? collection;
  }
  const batch = await store.createBatch(collection.id, 'b');
  const add = async (source: string, text: string) => {
    const blob = await blobs.put(Readable.from([Buffer.from(text)]), 1e7);
    const { document } = await store.registerDocument({
      collectionId: collection.id,
      batchId: batch.id,
      source,
      sha256: blob.sha256,
      sizeBytes: blob.sizeBytes,
    });
    await queue.enqueue([{ documentId: document.id }]);
    return document.id;
  };
  return { store, queue, add, seen, collection, start };
}
