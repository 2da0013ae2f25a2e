import type { BlobStore } from '../ports/blob-store.js';
import type { Embedder } from '../ports/embedder.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { DocumentParser } from '../ports/parser.js';
import type { JobHandler, JobOutcome } from '../ports/queue.js';
import type { Store } from '../ports/store.js';
import type { Tokenizer } from '../ports/tokenizer.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { chunkText, type ChunkerOptions } from './chunker.js';
import { documentStateEvent } from './document-events.js';
import { assertSameEmbedder } from './embedder-pin.js';
import { SluiceError, toSluiceError } from './errors.js';
import { newId } from './ids.js';
import type { DocumentState } from './states.js';
import type { DocumentRecord, EmbeddedChunk } from './types.js';

export interface PipelineDependencies {
  store: Store;
  blobs: BlobStore;
  parser: DocumentParser;
  tokenizer: Tokenizer;
  embedder: Embedder;
  events: EventBus;
  logger: Logger;
}

export interface PipelineOptions {
  chunker: ChunkerOptions;
  /** Chunks per embedder call. */
  embedBatchSize: number;
  /** Attempts before a retryable failure becomes final. */
  maxAttempts: number;
  backoff: BackoffOptions;
}

/** Thrown inside an attempt when the store refused a write: another attempt or a cancel took over. */
class Superseded extends Error {}

const done: JobOutcome = { kind: 'done' };

/**
 * The pipeline of one document: claim → parse → chunk → embed in batches → publish. Every write is
 * fenced by the attempt id, so a duplicate delivery or a late worker changes nothing; the chunks are
 * published with the completion in one atomic store call, so a crash at any instant leaves either the
 * previous version or the new one, never a mix.
 */
export function createDocumentProcessor(deps: PipelineDependencies, options: PipelineOptions): JobHandler {
  const { store, events, logger } = deps;

  const announce = (doc: DocumentRecord, state: DocumentState, error?: SluiceError): Promise<void> =>
    events.publish(documentStateEvent(doc, state, error));

  return async (job, signal) => {
    const attemptId = newId('att');
    const doc = await store.claim(job.documentId, attemptId);
    if (!doc) {
      return done;
    }
    await announce(doc, 'parsing');
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
      assertSameEmbedder(collection, deps.embedder.spec);
      const bytes = await deps.blobs.get(doc.sha256);
      if (!bytes) {
        throw new SluiceError('blob_missing', `The raw file of ${doc.source} is missing from the blob store`);
      }
      const parsed = await deps.parser.parse({ bytes, source: doc.source }, signal);
      await stage('chunking');
      await announce(doc, 'chunking');
      const chunks = await chunkText(parsed, deps.tokenizer, options.chunker);
      if (chunks.length === 0) {
        throw new SluiceError('empty_document', `${doc.source} holds no text to index`);
      }
      await stage('embedding', { chunksTotal: chunks.length, chunksEmbedded: 0 });
      await announce(doc, 'embedding');
      const embedded: EmbeddedChunk[] = [];
      for (let start = 0; start < chunks.length; start += options.embedBatchSize) {
        signal.throwIfAborted();
        const batch = chunks.slice(start, start + options.embedBatchSize);
        const vectors = await deps.embedder.embed(
          batch.map((c) => c.text),
          signal,
        );
        if (vectors.length !== batch.length) {
          throw new SluiceError(
            'embedder_failed',
            `The embedder returned ${vectors.length} vectors for ${batch.length} texts`,
          );
        }
        batch.forEach((chunk, i) => embedded.push({ ...chunk, vector: vectors[i] as Float32Array }));
        const progress = { chunksTotal: chunks.length, chunksEmbedded: embedded.length };
        await stage('embedding', progress);
        await events.publish({
          type: 'document.progress',
          documentId: doc.id,
          batchId: doc.batchId,
          ...progress,
          at: new Date().toISOString(),
        });
      }
      signal.throwIfAborted();
      await stage('indexing');
      await announce(doc, 'indexing');
      if (!(await store.complete(doc.id, attemptId, parsed.mediaType, embedded))) {
        throw new Superseded();
      }
      await announce(doc, 'completed');
      logger.info(
        { documentId: doc.id, source: doc.source, chunks: embedded.length, attempt: doc.attempts },
        'document completed',
      );
      return done;
    } catch (thrown) {
      if (thrown instanceof Superseded || signal.aborted) {
        // Cancelled, shutting down, or overtaken by a newer attempt: whoever took over owns the state.
        logger.debug({ documentId: doc.id, attemptId }, 'attempt stopped');
        return done;
      }
      const error = toSluiceError(thrown);
      if (error.retryable && doc.attempts < options.maxAttempts) {
        const delayMs = backoffDelay(doc.attempts, options.backoff);
        if (await store.scheduleRetry(doc.id, attemptId, error.code, error.message, new Date(Date.now() + delayMs))) {
          logger.warn(
            { documentId: doc.id, code: error.code, attempt: doc.attempts, delayMs, err: thrown },
            'document will be retried',
          );
          await announce(doc, 'queued', error);
          return { kind: 'retry', delayMs };
        }
        return done;
      }
      if (await store.fail(doc.id, attemptId, error.code, error.message)) {
        logger.info(
          { documentId: doc.id, source: doc.source, code: error.code, attempt: doc.attempts },
          'document failed',
        );
        await announce(doc, 'failed', error);
      }
      return done;
    }
  };
}
