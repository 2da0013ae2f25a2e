import type { BlobStore } from '../ports/blob-store.js';
import type { Embedder } from '../ports/embedder.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { BatchHandler, FanIn, JobHandler, JobOutcome } from '../ports/queue.js';
import type { PartialCompletion, Store } from '../ports/store.js';
import type { DocumentSplitter } from '../ports/splitter.js';
import { backoffDelay, type BackoffOptions } from '../core/backoff.js';
import { documentStateEvent } from '../core/document-events.js';
import { detectLanguage } from '../core/detect-language.js';
import { countedLines, lineKey, repeatedLineRule, withoutRepeatedChunks } from '../core/repeated-lines.js';
import { assertSameEmbedder } from '../core/embedder-pin.js';
import { SluiceError, toSluiceError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { isTerminal, type DocumentState } from '../core/states.js';
import type { Chunk, DocumentRecord } from '../core/types.js';
import { createPagesReadRecorder } from './pages-read-recorder.js';
import { settleCopiesOf } from './settle-copies.js';

export interface PipelineDependencies {
  store: Store;
  blobs: BlobStore;
  /** Parses and chunks (in a sandbox of threads, in the service). */
  splitter: DocumentSplitter;
  embedder: Embedder;
  events: EventBus;
  logger: Logger;
  /** This worker process, recorded on the attempts it runs so that status can tell running from stalled. */
  workerId?: string;
}

export interface PipelineOptions {
  /** Chunks per embedder call. */
  embedBatchSize: number;
  /** Attempts before a retryable failure becomes final. */
  maxAttempts: number;
  backoff: BackoffOptions;
  /**
   * Keep an attempt's chunks and vectors in the store between fan-out and fan-in (`ChunkStaging`), so
   * that batch jobs and their results carry none: for a queue whose jobs go through Redis.
   */
  stageChunks?: boolean;
}

/** Thrown inside an attempt when the store refused a write: another attempt or a cancel took over. */
class Superseded extends Error {}

const done: JobOutcome = { kind: 'done' };

/** The two halves of the pipeline, run by the queue: the document job and its embedding batches. */
export interface DocumentProcessor {
  document: JobHandler;
  batches: BatchHandler;
}

/** What every step of one document's pipeline works with. */
interface Pipeline {
  deps: PipelineDependencies;
  options: PipelineOptions;
}

function announce(p: Pipeline, doc: DocumentRecord, state: DocumentState, error?: SluiceError): Promise<void> {
  return p.deps.events.publish(documentStateEvent(doc, state, error));
}

/** Retry with backoff while attempts last and the error is transient; else fail for good. */
async function settleFailure(
  p: Pipeline,
  doc: DocumentRecord,
  attemptId: string,
  error: SluiceError,
  cause: unknown,
): Promise<JobOutcome> {
  const { store, logger } = p.deps;
  if (error.retryable && doc.attempts < p.options.maxAttempts) {
    const delayMs = backoffDelay(doc.attempts, p.options.backoff);
    if (await store.scheduleRetry(doc.id, attemptId, error.code, error.message, new Date(Date.now() + delayMs))) {
      logger.warn(
        { documentId: doc.id, code: error.code, attempt: doc.attempts, delayMs, err: cause },
        'document will be retried',
      );
      await announce(p, doc, 'queued', error);
      return { kind: 'retry', delayMs };
    }
    return done;
  }
  if (await store.fail(doc.id, attemptId, error.code, error.message)) {
    logger.info({ documentId: doc.id, source: doc.source, code: error.code, attempt: doc.attempts }, 'document failed');
    await announce(p, doc, 'failed', error);
    await settleCopiesOf(p.deps, doc.id);
  }
  return done;
}

/**
 * Fan-in: every batch has finished; publish the chunks, or settle the first problem a batch met. A
 * problem that is final (permanent, or out of attempts) still lets the document be published
 * without the failed chunks when its collection allows partial success and most chunks embedded.
 */
async function finish(p: Pipeline, doc: DocumentRecord, fanIn: FanIn): Promise<JobOutcome> {
  const { store, logger } = p.deps;
  const { attemptId } = fanIn;
  const results = [...fanIn.results].sort((a, b) => a.batch - b.batch);
  if (results.some((r) => r.kind === 'superseded')) {
    return done;
  }
  const embedded = p.options.stageChunks
    ? await store.embeddedChunks(doc.id, attemptId)
    : results.flatMap((r) => (r.kind === 'embedded' ? r.chunks : []));
  const failed = results.flatMap((r) => (r.kind === 'failed' ? [r] : []));
  let partial: PartialCompletion | undefined;
  if (failed.length > 0) {
    const first = failed[0] as (typeof failed)[number];
    const error = new SluiceError(first.code, first.message);
    const final = !error.retryable || doc.attempts >= p.options.maxAttempts;
    const failedChunks = failed.flatMap((r) => r.chunkIndexes).sort((a, b) => a - b);
    // Every batch must have reported (a queue may stop at the first failure), and most embedded.
    const allowed =
      final &&
      results.length === fanIn.batches &&
      embedded.length > failedChunks.length &&
      (await store.getCollection(doc.collectionId))?.partialSuccess === true;
    if (!allowed) {
      return settleFailure(p, doc, attemptId, error, undefined);
    }
    partial = {
      chunksTotal: embedded.length + failedChunks.length,
      failedChunks,
      code: first.code,
      message: `${failedChunks.length} of ${embedded.length + failedChunks.length} chunks could not be embedded: ${first.message}`,
    };
  }
  if (!(await store.setStage(doc.id, attemptId, 'indexing'))) {
    return done;
  }
  await announce(p, doc, 'indexing');
  // Publishing ends the document's run, and with it what it staged (in the same transaction).
  if (!(await store.complete(doc.id, attemptId, fanIn.mediaType, embedded, partial))) {
    return done;
  }
  if (partial) {
    await announce(p, doc, 'completed_with_errors', new SluiceError(partial.code, partial.message));
    await settleCopiesOf(p.deps, doc.id);
    logger.warn(
      { documentId: doc.id, source: doc.source, failedChunks: partial.failedChunks, code: partial.code },
      'document completed with errors',
    );
    return done;
  }
  await announce(p, doc, 'completed');
  // Copies that waited for it end as it ended.
  await settleCopiesOf(p.deps, doc.id);
  logger.info(
    { documentId: doc.id, source: doc.source, chunks: embedded.length, attempt: doc.attempts },
    'document completed',
  );
  return done;
}

/** One attempt at a document: claim it, parse and chunk it, and fan its chunks out as embedding batches. */
async function runAttempt(p: Pipeline, job: Parameters<JobHandler>[0], signal: AbortSignal): Promise<JobOutcome> {
  const { store, logger } = p.deps;
  const attemptId = newId('att');
  const doc = await store.claim(job.documentId, attemptId, p.deps.workerId);
  if (!doc) {
    return done;
  }
  if (doc.attempts > p.options.maxAttempts) {
    // A retry is scheduled only while attempts last, so every attempt past them began after one that
    // never settled: its process died each time (a native crash, an OOM kill). Stop the loop here.
    const error = new SluiceError(
      'worker_crashed',
      `The process running ${doc.source} stopped without finishing, ${doc.attempts - 1} times`,
    );
    return settleFailure(p, doc, attemptId, error, undefined);
  }
  await announce(p, doc, 'parsing');
  const stage = async (
    state: DocumentState,
    progress?: { chunksTotal: number; chunksEmbedded: number },
  ): Promise<void> => {
    if (!(await store.setStage(doc.id, attemptId, state, progress))) {
      throw new Superseded();
    }
  };
  try {
    const collection = await store.getCollection(doc.collectionId);
    if (!collection) {
      throw new SluiceError('not_found', `Collection ${doc.collectionId} is gone`);
    }
    assertSameEmbedder(collection, p.deps.embedder.spec);
    const bytes = await p.deps.blobs.get(doc.sha256);
    if (!bytes) {
      throw new SluiceError('blob_missing', `The raw file of ${doc.source} is missing from the blob store`);
    }
    // The chunking stage is recorded while the chunker runs, after the last count of pages read; a
    // failure to record it (superseded) surfaces once the split returns.
    let chunking: Promise<void> | undefined;
    const pages = createPagesReadRecorder(p.deps, doc, attemptId);
    const { mediaType, chunks: parsed } = await p.deps.splitter.split(
      { bytes, source: doc.source },
      {
        signal,
        onParsed: () => {
          chunking = pages
            .settle()
            .then(() => stage('chunking'))
            .then(() => announce(p, doc, 'chunking'));
          chunking.catch(() => undefined);
        },
        onPages: (read) => pages.hear(read),
      },
    );
    await chunking;
    const chunks = mediaType === 'text/html' ? await withoutPageChrome(store, doc.id, attemptId, parsed) : parsed;
    if (chunks.length === 0) {
      throw new SluiceError('empty_document', `${doc.source} holds no text to index`);
    }
    signal.throwIfAborted();
    if (!(await store.recordLanguage(doc.id, attemptId, detectLanguage(chunks)))) {
      throw new Superseded();
    }
    await stage('embedding', { chunksTotal: chunks.length, chunksEmbedded: 0 });
    await announce(p, doc, 'embedding');
    const staged = p.options.stageChunks === true;
    if (staged && !(await store.stageChunks(doc.id, attemptId, chunks))) {
      throw new Superseded();
    }
    const batches = [];
    for (let start = 0; start < chunks.length; start += p.options.embedBatchSize) {
      const to = Math.min(chunks.length, start + p.options.embedBatchSize);
      batches.push({
        documentId: doc.id,
        attemptId,
        batch: batches.length,
        ...(staged ? { chunks: [], staged: { from: start, to } } : { chunks: chunks.slice(start, to) }),
      });
    }
    return { kind: 'fanOut', attemptId, mediaType, batches, keepGoingAfterFailure: collection.partialSuccess };
  } catch (thrown) {
    if (thrown instanceof Superseded || signal.aborted) {
      // Cancelled, shutting down, or overtaken by a newer attempt: whoever took over owns the state.
      logger.debug({ documentId: doc.id, attemptId }, 'attempt stopped');
      return done;
    }
    return settleFailure(p, doc, attemptId, toSluiceError(thrown), thrown);
  }
}

/** One embedding batch: its vectors, or the problem it met, for the fan-in to settle. */
async function embedBatch(
  p: Pipeline,
  job: Parameters<BatchHandler>[0],
  signal: AbortSignal,
): Promise<Awaited<ReturnType<BatchHandler>>> {
  const { store, events, logger } = p.deps;
  const { documentId, attemptId, batch } = job;
  const current = await store.getDocument(documentId);
  if (current?.attemptId !== attemptId || isTerminal(current.state)) {
    return { attemptId, batch, kind: 'superseded' };
  }
  const { staged } = job;
  const chunks = staged ? await store.stagedChunks(documentId, attemptId, staged.from, staged.to) : job.chunks;
  if (chunks.length === 0) {
    return { attemptId, batch, kind: 'superseded' };
  }
  try {
    const vectors = await p.deps.embedder.embed(
      chunks.map((c) => c.text),
      signal,
    );
    if (vectors.length !== chunks.length) {
      throw new SluiceError(
        'embedder_failed',
        `The embedder returned ${vectors.length} vectors for ${chunks.length} texts`,
      );
    }
    const embedded = chunks.map((chunk, i) => ({ ...chunk, vector: vectors[i] as Float32Array }));
    if (staged && !(await store.stageVectors(documentId, attemptId, embedded))) {
      return { attemptId, batch, kind: 'superseded' };
    }
    const progress = await store.recordEmbedded(documentId, attemptId, batch, vectors.length);
    if (!progress) {
      return { attemptId, batch, kind: 'superseded' };
    }
    await events.publish({
      type: 'document.progress',
      documentId,
      batchId: current.batchId,
      ...progress,
      at: new Date().toISOString(),
    });
    return { attemptId, batch, kind: 'embedded', chunks: staged ? [] : embedded };
  } catch (thrown) {
    if (signal.aborted) {
      return { attemptId, batch, kind: 'superseded' };
    }
    const error = toSluiceError(thrown);
    logger.warn({ documentId, batch, code: error.code, err: thrown }, 'embedding batch failed');
    return {
      attemptId,
      batch,
      kind: 'failed',
      code: error.code,
      message: error.message,
      chunkIndexes: chunks.map((c) => c.index),
    };
  }
}

/**
 * The pipeline of one document: claim → parse and chunk → fan out the chunks as embedding batches →
 * fan in: publish. Every write is fenced by the attempt id, so a duplicate delivery or a late worker
 * changes nothing; the chunks are published with the completion in one atomic store call, so a crash
 * at any instant leaves either the previous version or the new one, never a mix. Batches report
 * their problems instead of changing the document, so that one place (the fan-in) applies the retry
 * policy.
 */
export function createDocumentProcessor(deps: PipelineDependencies, options: PipelineOptions): DocumentProcessor {
  const p: Pipeline = { deps, options };
  return {
    async document(job, signal, fanIn) {
      if (fanIn) {
        const current = await deps.store.getDocument(job.documentId);
        return current?.attemptId === fanIn.attemptId ? finish(p, current, fanIn) : done;
      }
      return runAttempt(p, job, signal);
    },
    batches: (job, signal) => embedBatch(p, job, signal),
  };
}

/**
 * An HTML page's chunks but those made mostly of lines on many of its collection's pages (a site's
 * banner or sidebar that no markup names): the page's lines are counted in the collection first.
 */
async function withoutPageChrome(
  store: Store,
  documentId: string,
  attemptId: string,
  chunks: Chunk[],
): Promise<Chunk[]> {
  const keys = [...new Set(countedLines(chunks).map(lineKey))];
  const repeated = await store.countRepeatedLines(documentId, attemptId, keys, repeatedLineRule);
  return withoutRepeatedChunks(chunks, new Set(repeated));
}
