import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { DocumentTransitions } from '../../ports/document-transitions.js';
import type { CollectionRow } from '../store-rows.js';
import { retryWhileBusy } from './busy-retry.js';
import type { ChunkRows } from './sqlite-chunk-rows.js';
import { busyTimeoutMs, sliceDeferMaxMs, type SqliteContext } from './sqlite-context.js';
import { createPublishSteps } from './sqlite-publish-steps.js';
import { collectionSql } from './sqlite-sql.js';

/** The pause between two slices of a publish: long enough for a writer polling every millisecond. */
const publishGapMs = 1;

/**
 * Publishes a document's chunks in slices of a few milliseconds each, so that no other writer (an
 * upload, in this process or another) waits long for the lock; searches see none of them until the
 * last, short transaction makes them all visible together, replacing the previous version. A document
 * that fits in one slice is published by that slice alone: a transaction less per document, the pause
 * after it, and no stage rows, which makes publishing many small documents faster (measured in BENCH.md).
 */
export function createSqlitePublish(context: SqliteContext, chunkRows: ChunkRows): DocumentTransitions['complete'] {
  const { stmt, gate } = context;
  const getCollectionRow = stmt<[string], CollectionRow>(collectionSql.byId);
  const { liveRow, stageSlice, deleteStagedBy, publishStaged } = createPublishSteps(context, chunkRows);

  return async (documentId, attemptId, mediaType, chunks, partial) => {
    const row = liveRow(documentId, attemptId, partial);
    const collection = row && getCollectionRow.get(row.collection_id);
    if (!row || !collection) {
      return false;
    }
    const wrong = chunks.find((chunk) => chunk.vector.length !== collection.dimension);
    if (wrong) {
      throw new SluiceError(
        'embedder_mismatch',
        `A vector of ${wrong.vector.length} dimensions cannot go into a collection of ${collection.dimension}`,
      );
    }
    const columns = {
      embedder: `${collection.embedder_name}:${collection.embedder_model}`,
      dimension: collection.dimension,
    };
    const publish = { columns, mediaType, partial };
    const token = newId('stg');
    let published = false;
    try {
      for (let from = 0; from < chunks.length;) {
        const start = from;
        await gate.clear(sliceDeferMaxMs);
        const next = await retryWhileBusy(
          () => stageSlice.immediate(documentId, attemptId, token, publish, chunks, start),
          busyTimeoutMs,
        );
        if (next === false) {
          return false;
        }
        if (next === 'published') {
          published = true;
          return true;
        }
        from = next;
        await sleep(publishGapMs);
      }
      await gate.clear(sliceDeferMaxMs);
      published = await retryWhileBusy(
        () => publishStaged.immediate(documentId, attemptId, token, mediaType, chunks.length, partial),
        busyTimeoutMs,
      );
      return published;
    } finally {
      if (!published) {
        // Overtaken or failed: what this publish staged goes (a cancel or a newer attempt may have
        // removed it already).
        await retryWhileBusy(() => deleteStagedBy.immediate(row.collection_id, documentId, token), busyTimeoutMs).catch(
          () => undefined,
        );
      }
    }
  };
}
