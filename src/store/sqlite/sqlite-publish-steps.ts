import { indexedText } from '../search-text.js';
import type { EmbeddedChunk } from '../../core/types.js';
import type { PartialCompletion } from '../../ports/document-transitions.js';
import type { DocumentRow } from '../store-rows.js';
import type { ChunkRows } from './sqlite-chunk-rows.js';
import type { SqliteContext } from './sqlite-context.js';
import { collectionTables } from './sqlite-migrations.js';
import { chunkSql, publishSql, vectorChangeSql } from './sqlite-sql.js';
import { chunkCountSql } from './sqlite-usage-counts.js';

/**
 * How long a publish inserts in one transaction before it lets other writers in. Its commit comes on
 * top (FTS5 writes its pending segment then), so a slice holds the lock longer than this; 4 ms rather
 * than 8 made an upload's writes wait less, and the 20 files ingest as fast (measured in BENCH.md).
 */
const publishSliceMs = 4;

/** What every slice of one publish writes alike. */
interface Publish {
  columns: { embedder: string; dimension: number };
  mediaType: string;
  partial?: PartialCompletion | undefined;
}

/** The state a publish completes a document in. */
const publishedState = (partial: PartialCompletion | undefined): 'completed' | 'completed_with_errors' =>
  partial ? 'completed_with_errors' : 'completed';

/** What the first and the last transaction of a publish both do. */
interface PublishEnds {
  liveRow: (documentId: string, attemptId: string, partial?: PartialCompletion) => DocumentRow | undefined;
  markPublished: (
    row: DocumentRow,
    previous: number[],
    mediaType: string,
    count: number,
    partial?: PartialCompletion,
  ) => void;
}

function createPublishEnds({ stmt, now, vectorChangesKept }: SqliteContext, chunkRows: ChunkRows): PublishEnds {
  const pruneVectorChanges = stmt<[number]>(vectorChangeSql.prune);
  const addCount = stmt<[string, number]>(chunkCountSql.add);

  const publishable = {
    completed: stmt<[string, string], DocumentRow>(publishSql.publishable('completed')),
    completed_with_errors: stmt<[string, string], DocumentRow>(publishSql.publishable('completed_with_errors')),
  };
  /**
   * The document's row while `attemptId` still owns it and may publish it, else undefined: the attempt
   * was overtaken, or the document is not in `indexing`.
   */
  const liveRow = (documentId: string, attemptId: string, partial?: PartialCompletion): DocumentRow | undefined =>
    publishable[publishedState(partial)].get(documentId, attemptId);

  /**
   * The end of a publish, inside its last transaction: the previous version's chunks (`previous`) go,
   * searching processes hear of the change, and the document completes.
   */
  const markPublished = (
    row: DocumentRow,
    previous: number[],
    mediaType: string,
    count: number,
    partial?: PartialCompletion,
  ): void => {
    chunkRows.deletePublished(row.collection_id, previous);
    addCount.run(row.collection_id, count);
    stmt(vectorChangeSql.logDocument).run(row.id);
    pruneVectorChanges.run(vectorChangesKept);
    const at = now();
    stmt(publishSql.complete).run({
      state: publishedState(partial),
      mediaType,
      total: partial?.chunksTotal ?? count,
      embedded: count,
      code: partial?.code ?? null,
      message: partial?.message ?? null,
      failed: partial ? JSON.stringify(partial.failedChunks) : null,
      at,
      documentId: row.id,
    });
  };

  return { liveRow, markPublished };
}

/** The slice transaction of a publish. */
function createStageSlice(
  { db, stmt, gate }: SqliteContext,
  chunkRows: ChunkRows,
  { liveRow, markPublished }: PublishEnds,
) {
  const insertChunk = stmt(chunkSql.insert);
  const insertStage = stmt<[number | bigint, string, string, string]>(chunkSql.stage);

  /**
   * One slice of a publish: chunks from `from` on, written for `publishSliceMs` at most, under the
   * publish's token. Returns where the next slice starts, `'published'` if the first slice held every
   * chunk and completed the document, or false if the attempt was overtaken.
   *
   * Most documents fit in one slice (a few dozen chunks). Their chunks are written without stage rows
   * and published in the same transaction, so nobody sees them before the end: one transaction instead
   * of two, and no stage row written and deleted per chunk. The first slice of a longer document stages
   * what it wrote before it commits, as later slices do.
   */
  return db.transaction(
    (
      documentId: string,
      attemptId: string,
      token: string,
      publish: Publish,
      chunks: EmbeddedChunk[],
      from: number,
    ): number | 'published' | false => {
      const row = liveRow(documentId, attemptId, publish.partial);
      if (!row) {
        return false;
      }
      const first = from === 0;
      if (first) {
        chunkRows.deleteStagedOf(documentId, row.collection_id, token);
      }
      const { columns } = publish;
      const { vectors, fullText } = collectionTables(row.collection_id);
      const insertVector = stmt(chunkSql.insertVector(vectors));
      const insertText = stmt(chunkSql.insertText(fullText));
      // The previous version's chunks, read before this slice adds chunks without stage rows.
      const previous = first ? chunkRows.publishedIdsOf(documentId) : [];
      const unstaged: (number | bigint)[] = [];
      const started = performance.now();
      let next = from;
      for (; next < chunks.length; next++) {
        // The clock is read every 16 chunks: a chunk takes a fifth of a millisecond or so. A write that
        // waits for the lock ends the slice at once (see writer-gate.ts).
        if (
          next > from &&
          (gate.someoneWaits() || ((next - from) % 16 === 0 && performance.now() - started >= publishSliceMs))
        ) {
          break;
        }
        const chunk = chunks[next] as EmbeddedChunk;
        const { lastInsertRowid } = insertChunk.run(
          documentId,
          row.collection_id,
          chunk.index,
          chunk.text,
          chunk.tokenCount,
          chunk.charStart,
          chunk.charEnd,
          chunk.page,
          columns.embedder,
          columns.dimension,
        );
        if (first) {
          unstaged.push(lastInsertRowid);
        } else {
          insertStage.run(lastInsertRowid, row.collection_id, documentId, token);
        }
        insertVector.run(
          BigInt(lastInsertRowid),
          Buffer.from(chunk.vector.buffer, chunk.vector.byteOffset, chunk.vector.byteLength),
        );
        insertText.run(lastInsertRowid, indexedText(chunk.text, row.language));
      }
      if (first && next === chunks.length) {
        markPublished(row, previous, publish.mediaType, chunks.length, publish.partial);
        return 'published';
      }
      for (const id of unstaged) {
        insertStage.run(id, row.collection_id, documentId, token);
      }
      return next;
    },
  );
}

/** The last transaction of a publish of several slices, and the clean-up of one that did not get there. */
function createPublishStaged(
  { db, stmt }: SqliteContext,
  chunkRows: ChunkRows,
  { liveRow, markPublished }: PublishEnds,
) {
  const deleteStagedBy = db.transaction((collectionId: string, documentId: string, token: string) =>
    chunkRows.deleteChunks(collectionId, chunkRows.idsStagedBy(collectionId, documentId, token)),
  );

  /**
   * The publish's last transaction: the previous version's chunks go, the staged ones become
   * searchable, and the document completes, all at once.
   */
  const publishStaged = db.transaction(
    (
      documentId: string,
      attemptId: string,
      token: string,
      mediaType: string,
      count: number,
      partial?: PartialCompletion,
    ): boolean => {
      const row = liveRow(documentId, attemptId, partial);
      if (!row) {
        return false;
      }
      if (chunkRows.idsStagedBy(row.collection_id, documentId, token).length !== count) {
        // Only another publish of the same attempt removes a token's chunks; that one owns the result.
        return false;
      }
      // Read while this publish's chunks still have their stage rows: the previous version's.
      const previous = chunkRows.publishedIdsOf(documentId);
      chunkRows.deleteStagedOf(documentId, row.collection_id, token);
      // What is left of the document is this publish's chunks: clearing their tokens makes them searchable.
      stmt(chunkSql.unstage).run(row.collection_id, documentId, token);
      markPublished(row, previous, mediaType, count, partial);
      return true;
    },
  );

  return { deleteStagedBy, publishStaged };
}

/** The transactions a publish is made of, each run on its own by `complete` (`sqlite-publish.ts`). */
export function createPublishSteps(context: SqliteContext, chunkRows: ChunkRows) {
  const ends = createPublishEnds(context, chunkRows);
  return {
    liveRow: ends.liveRow,
    stageSlice: createStageSlice(context, chunkRows, ends),
    ...createPublishStaged(context, chunkRows, ends),
  };
}
