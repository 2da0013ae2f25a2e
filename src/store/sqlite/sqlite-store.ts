import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import * as sqliteVec from 'sqlite-vec';
import { assertSameEmbedder } from '../../core/embedder-pin.js';
import { SluiceError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { runningStates, terminalStates, type DocumentState } from '../../core/states.js';
import type { ApiKeyRecord, Collection, EmbeddedChunk, SearchHit } from '../../core/types.js';
import type { SluiceEvent, StoredEvent } from '../../ports/event-bus.js';
import type { DocumentFilter, IdempotentResponse, PartialCompletion, RevokeApiKeyOutcome, Store } from '../../ports/store.js';
import { searchTerms } from '../text-match.js';
import { chunkHits, type ScoredChunk } from './chunk-hits.js';
import { searchFullText, stagedChunkIds as stagedIds } from './full-text-search.js';
import { isInMemory, openSearchConnection } from './search-connection.js';
import { statementCache } from './statement-cache.js';
import { createTextSearchThread } from './text-search-host.js';
import { collectionTables, createCollectionTables, migrate } from './sqlite-migrations.js';
import { retryWhileBusy } from './busy-retry.js';
import { createWriterGate, type WriterGate } from './writer-gate.js';
import { createVectorScans } from './vector-scan.js';
import {
  toBatch,
  toBatchProgress,
  type StateGroupRow,
  toCollection,
  toDocument,
  type BatchRow,
  toTenant,
  type CollectionRow,
  type DocumentRow,
  type TenantRow,
  toWaitingSummary,
  type WaitingRow,
  withCounts,
} from '../store-rows.js';
import { dispatchSlots, largestFirst } from '../dispatch-slots.js';

/** The store's methods as better-sqlite3 runs them: synchronously. */
type Synchronous<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;
};

/**
 * Lifts synchronous methods to the async port; a throw becomes a rejection, as callers expect. A call
 * refused because another process holds the write lock is tried again (see `busy-retry.ts`): each
 * method is one statement or one transaction, so a refused call has changed nothing.
 */
function toAsync<T extends object>(sync: Synchronous<T>, busyTimeoutMs: number, gate: WriterGate, yieldMs: number): T {
  const lifted: Record<string, unknown> = {};
  const methods: [string, (...args: unknown[]) => unknown][] = Object.entries(sync);
  for (const [name, method] of methods) {
    lifted[name] = async (...args: unknown[]) => {
      if (yieldMs > 0) {
        await gate.clear(yieldMs);
      }
      return retryWhileBusy(() => method(...args), busyTimeoutMs, gate);
    };
  }
  return lifted as T;
}

/**
 * How long a publish inserts in one transaction before it lets other writers in. Its commit comes on
 * top (FTS5 writes its pending segment then): at 8 ms a slice held the lock for 15–22 ms in all under
 * load; at 4 ms, 5–7 ms, and an upload's writes waited a p99 of 25–29 ms instead of 33–44
 * (`bench/upload-latency.js`). The 20 files ingest as fast either way.
 */
const publishSliceMs = 4;
/** The pause between two slices of a publish: long enough for a writer polling every millisecond. */
const publishGapMs = 1;
/** How long a write waits for another process's lock before it fails. */
const busyTimeoutMs = 10_000;
/** The longest a slice holds off for other writes (see `writer-gate.ts`), so a publish never starves. */
const sliceDeferMaxMs = 50;

export interface SqliteStoreOptions {
  /** Path of the database file; `:memory:` for a throw-away store. */
  path: string;
  /**
   * Memory for int8 copies of searched collections' vectors (see `vector-scan.ts`), which vector
   * searches scan instead of sqlite-vec's table; 0 searches with sqlite-vec alone. @defaultValue 256 MiB
   */
  vectorScanBytes?: number;
  /** Changes kept in `vector_changes`; a search process further behind loads its collection afresh. @defaultValue 500000 */
  vectorChangesKept?: number;
  /**
   * Log pages after which a commit of this store copies the write-ahead log back into the database
   * (SQLite's `wal_autocheckpoint`). A checkpoint copies the pages and syncs both files, on the thread
   * whose commit crossed the mark, and took up to 19 ms there under ingestion. The store of a thread
   * that answers uploads sets it high, so that the thread or process that ingests, which writes far
   * more, runs the checkpoints; it still runs one if nothing else writes for long. @defaultValue 1000
   */
  walAutocheckpointPages?: number;
  /**
   * Runs full-text searches on a thread of their own (see `text-search-host.ts`); false runs them on
   * the calling thread, as an in-memory store always does. @defaultValue true
   */
  textSearchThread?: boolean;
  /** Told if the text-search thread cannot start or stops; its searches then run on the calling thread. */
  onTextSearchThreadFailed?: (error: unknown) => void;
  /**
   * Shared with the store of another thread of this process on the same file (the worker thread of
   * `sluice serve`): its writes then go ahead of this store's publish slices, and this one's of its.
   */
  writerGate?: SharedArrayBuffer;
  /**
   * For the store of the thread that writes in the background (the worker thread of `sluice serve`):
   * every call first waits, up to 50 ms, while a write through the gate waits for the lock or has just
   * got through, as its publish slices already do. SQLite's lock goes to whoever asks when it is free,
   * and an upload's writes (the batch, the document, its event, the dispatch), each polling every
   * millisecond, lost it again and again to the worker's stream of short writes: events, state changes.
   * `bench/upload-latency.js` (800 uploads of 1 MB at 20/s), six runs each, alternating: the `202`'s
   * p99 was 40.8–51.4 ms (median 44.4) against 40.0–61.6 (median 53.8), its p50 9.6–11.3 against
   * 9.9–12.3; ingesting the Python and R docs through `sluice serve`'s thread took as long.
   */
  yieldToOtherWriters?: boolean;
}

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  admin: number;
  prefix: string | null;
  name: string | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}
/** Every column but the hash, which nothing reads back. */
const apiKeyColumns = 'id, tenant_id, admin, prefix, name, created_at, last_used_at, expires_at, revoked_at';
/** A key that may authenticate at the time given as the one parameter. */
const activeKey = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)';

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    admin: row.admin === 1,
    prefix: row.prefix,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

const terminal = terminalStates.map((s) => `'${s}'`).join(', ');
const unfinished = ['queued', ...runningStates].map((s) => `'${s}'`).join(', ');
const running = runningStates.map((s) => `'${s}'`).join(', ');
/** Batches of a tenant (the one parameter) with documents waiting for dispatch. */
const batchesAwaitingDispatch = `SELECT DISTINCT d.batch_id FROM documents d JOIN collections c ON c.id = d.collection_id
  WHERE c.tenant_id = ? AND d.dispatched_at IS NULL AND d.state = 'queued'`;
/**
 * A tenant's documents waiting for dispatch, in the order dispatch takes them. A document's turn is its
 * place in its batch counting those already handed over, so batches advance evenly and a new batch
 * starts at the front. Within a batch the largest files go first: one large file started last runs
 * alone while the other workers idle, and the whole batch waits for it (see `largestFirst`).
 */
const awaitingDispatchInOrder = `SELECT id FROM (
    SELECT id, priority, dispatched_at, state, row_number() OVER (PARTITION BY batch_id, priority ORDER BY ${largestFirst}) AS turn
      FROM documents WHERE batch_id IN (${batchesAwaitingDispatch}))
  WHERE dispatched_at IS NULL AND state = 'queued'
  ORDER BY priority DESC, turn, id`;

/**
 * The embedded store: ledger, chunks, vectors (sqlite-vec) and full text (FTS5) in one SQLite file in
 * WAL mode. Every state change is one statement or one transaction, fenced by the attempt id.
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const gate = createWriterGate(options.writerGate);
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  sqliteVec.load(db);
  migrate(db);
  // From here on a busy lock is waited for without blocking the thread (`busy-retry.ts`).
  db.pragma('busy_timeout = 0');
  if (options.walAutocheckpointPages !== undefined) {
    db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(options.walAutocheckpointPages))}`);
  }
  const inMemory = isInMemory(options.path);
  const searchDb = inMemory ? db : openSearchConnection(options.path);
  if (searchDb !== db) {
    sqliteVec.load(searchDb);
  }
  const textSearch =
    inMemory || options.textSearchThread === false
      ? undefined
      : createTextSearchThread(options.path, options.onTextSearchThreadFailed ? { onFailed: options.onTextSearchThreadFailed } : {});

  const now = (): string => new Date().toISOString();
  const stmt = statementCache(db);
  const searchStmt = statementCache(searchDb);
  const vectorScans =
    options.vectorScanBytes === 0
      ? undefined
      : createVectorScans({
          all: (collectionId, vectors) =>
            searchStmt<[string], { rowid: number; embedding: Buffer }>(
              `SELECT rowid, embedding FROM ${vectors} WHERE rowid NOT IN (${stagedIds})`,
            ).iterate(collectionId),
          one: (vectors, rowid) => searchStmt<[bigint], Buffer>(`SELECT embedding FROM ${vectors} WHERE rowid = ?`).pluck().get(BigInt(rowid)),
          head: () => (searchStmt("SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes'").pluck().get() as number | undefined) ?? 0,
          oldest: () => (searchStmt('SELECT min(seq) FROM vector_changes').pluck().get() as number | null) ?? undefined,
          changed: (collectionId, after, upTo) =>
            searchStmt<[string, number, number], number>(
              'SELECT DISTINCT chunk_id FROM vector_changes WHERE collection_id = ? AND seq > ? AND seq <= ?',
            )
              .pluck()
              .all(collectionId, after, upTo),
          snapshot: (work) => searchDb.transaction(work)(),
        }, { budgetBytes: options.vectorScanBytes ?? 256 * 1024 * 1024 });
  const getDocumentRow = stmt<[string], DocumentRow>('SELECT * FROM documents WHERE id = ?');
  const getCollectionRow = stmt<[string], CollectionRow>('SELECT * FROM collections WHERE id = ?');
  const insertDocument = stmt(`
    INSERT INTO documents (id, collection_id, batch_id, source, sha256, size_bytes, state, priority, duplicate_of, created_at, updated_at, completed_at)
    VALUES (@id, @collectionId, @batchId, @source, @sha256, @sizeBytes, @state, @priority, @duplicateOf, @now, @now, @completedAt)`);
  const insertChunk = stmt(`
    INSERT INTO chunks (document_id, collection_id, idx, text, token_count, char_start, char_end, page, embedder, dimension)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertStage = stmt<[number | bigint, string, string, string]>(
    'INSERT INTO chunk_stage (chunk_id, collection_id, document_id, token) VALUES (?, ?, ?, ?)',
  );
  const fencedUpdate = (sets: string): string =>
    `UPDATE documents SET ${sets}, updated_at = @now WHERE id = @id AND attempt_id = @attemptId AND state NOT IN (${terminal})`;

  const registerDocument = db.transaction((input: Parameters<Store['registerDocument']>[0]) => {
    const priority = input.priority ?? 0;
    const base = { ...input, priority, now: now(), duplicateOf: null, completedAt: null };
    const twin = stmt<[string, string], DocumentRow>(
      `SELECT * FROM documents WHERE collection_id = ? AND sha256 = ? AND state NOT IN ('failed', 'cancelled', 'skipped')
         ORDER BY (state = 'completed') DESC, id LIMIT 1`,
    ).get(input.collectionId, input.sha256);
    if (twin) {
      if (twin.source === input.source && twin.state !== 'completed') {
        return { kind: 'pending', document: toDocument(twin) } as const;
      }
      const id = newId('doc');
      insertDocument.run({ ...base, id, state: 'skipped', duplicateOf: twin.id, completedAt: base.now });
      return { kind: 'skipped', document: toDocument(getDocumentRow.get(id) as DocumentRow) } as const;
    }
    // A new version of a known source takes over its document: the old chunks stay searchable until
    // the new ones are published in one transaction, and any attempt still running is fenced out.
    const previous = stmt<[string, string], DocumentRow>(
      `SELECT * FROM documents WHERE collection_id = ? AND source = ? AND state != 'skipped' ORDER BY id DESC LIMIT 1`,
    ).get(input.collectionId, input.source);
    if (previous) {
      stmt(
        `UPDATE documents SET batch_id = @batchId, sha256 = @sha256, size_bytes = @sizeBytes, state = 'queued', priority = @priority,
           attempts = 0, attempt_id = NULL, error_code = NULL, error_message = NULL, chunks_total = 0, chunks_embedded = 0,
           available_at = NULL, dispatched_at = NULL, completed_at = NULL, updated_at = @now WHERE id = @id`,
      ).run({ ...base, id: previous.id });
      return { kind: 'queued', document: toDocument(getDocumentRow.get(previous.id) as DocumentRow) } as const;
    }
    const id = newId('doc');
    insertDocument.run({ ...base, id, state: 'queued' });
    return { kind: 'queued', document: toDocument(getDocumentRow.get(id) as DocumentRow) } as const;
  });

  const dispatch = db.transaction((tenantId: string, maxInFlight: number, minFree: number) => {
    const inFlight = stmt<[string], { n: number }>(
      `SELECT count(*) AS n FROM documents d JOIN collections c ON c.id = d.collection_id
         WHERE c.tenant_id = ? AND d.dispatched_at IS NOT NULL AND d.state IN (${unfinished})`,
    ).get(tenantId)!.n;
    const slots = dispatchSlots(maxInFlight, inFlight, minFree);
    if (slots === 0) {
      return [];
    }
    // LIMIT -1 is SQLite's "no limit".
    const picked = stmt<[string, number], { id: string }>(`SELECT id FROM (${awaitingDispatchInOrder}) LIMIT ?`).all(tenantId, slots ?? -1);
    const mark = stmt<[string, number, string]>('UPDATE documents SET dispatched_at = ?, dispatch_turn = ? WHERE id = ?');
    const at = now();
    return picked.map((row, i) => {
      mark.run(at, inFlight + i, row.id);
      return { documentId: row.id, turn: inFlight + i };
    });
  });

  const getApiKeyRow = stmt<[string], ApiKeyRow>(`SELECT ${apiKeyColumns} FROM api_keys WHERE id = ?`);
  const revokeApiKey = db.transaction((id: string, keepAnAdmin: boolean): RevokeApiKeyOutcome | undefined => {
    const row = getApiKeyRow.get(id);
    if (!row) {
      return undefined;
    }
    if (row.revoked_at !== null) {
      return { kind: 'already_revoked', key: toApiKey(row) };
    }
    const at = now();
    if (keepAnAdmin && row.admin === 1 && (row.expires_at === null || row.expires_at > at)) {
      const others = stmt<[string, string], number>(`SELECT count(*) FROM api_keys WHERE admin = 1 AND id != ? AND ${activeKey}`)
        .pluck()
        .get(id, at);
      if (others === 0) {
        return { kind: 'last_admin', key: toApiKey(row) };
      }
    }
    const revoked = stmt<[string, string], ApiKeyRow>(`UPDATE api_keys SET revoked_at = ? WHERE id = ? RETURNING ${apiKeyColumns}`).get(at, id);
    return { kind: 'revoked', key: toApiKey(revoked as ApiKeyRow) };
  });

  const recordEmbedded = db.transaction((documentId: string, attemptId: string, batch: number, count: number) => {
    type Progress = { chunks_total: number; chunks_embedded: number };
    const params = { documentId, attemptId, batch, count, now: now() };
    const live = `id = @documentId AND attempt_id = @attemptId AND state NOT IN (${terminal})`;
    const row =
      stmt<[typeof params], Progress>(
        `UPDATE documents SET chunks_embedded = chunks_embedded + @count, embedded_batches = json_insert(embedded_batches, '$[#]', @batch),
             updated_at = @now
           WHERE ${live} AND NOT EXISTS (SELECT 1 FROM json_each(embedded_batches) WHERE value = @batch)
           RETURNING chunks_total, chunks_embedded`,
      ).get(params) ??
      // Counted already (a second delivery of the batch), or stale: then there is no row.
      stmt<[typeof params], Progress>(`SELECT chunks_total, chunks_embedded FROM documents WHERE ${live}`).get(params);
    return row && { chunksTotal: row.chunks_total, chunksEmbedded: row.chunks_embedded };
  });

  const appendEvent = db.transaction((event: SluiceEvent): StoredEvent => {
    const logged =
      event.type === 'document.progress'
        ? withCounts(
            event,
            stmt<[string], { chunks_embedded: number; chunks_total: number | null }>(
              'SELECT chunks_embedded, chunks_total FROM documents WHERE id = ?',
            ).get(event.documentId),
          )
        : event;
    const { lastInsertRowid } = stmt('INSERT INTO events (batch_id, document_id, data) VALUES (?, ?, ?)').run(
      logged.batchId,
      logged.documentId,
      JSON.stringify(logged),
    );
    return { ...logged, seq: Number(lastInsertRowid) };
  });

  const logVectorChange = stmt<[string, number | bigint]>('INSERT INTO vector_changes (collection_id, chunk_id) VALUES (?, ?)');
  const pruneVectorChanges = stmt<[number]>(
    "DELETE FROM vector_changes WHERE seq <= (SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes') - ?",
  );

  /** Removes chunks with their vectors and full-text rows. */
  const deleteChunks = (collectionId: string, ids: number[]): void => {
    const { vectors, fullText } = collectionTables(collectionId);
    const deleteVector = stmt(`DELETE FROM ${vectors} WHERE rowid = ?`);
    const deleteText = stmt(`DELETE FROM ${fullText} WHERE rowid = ?`);
    const deleteChunk = stmt('DELETE FROM chunks WHERE id = ?');
    for (const id of ids) {
      deleteVector.run(BigInt(id));
      deleteText.run(id);
      deleteChunk.run(id);
    }
  };
  const publishedIdsOf = stmt<[string], number>(
    'SELECT id FROM chunks c WHERE document_id = ? AND NOT EXISTS (SELECT 1 FROM chunk_stage s WHERE s.chunk_id = c.id)',
  ).pluck();
  const stagedIdsOf = stmt<[string, string, string], number>(
    'SELECT chunk_id FROM chunk_stage WHERE collection_id = ? AND document_id = ? AND token != ?',
  ).pluck();
  /** The chunks one publish (its token) has staged so far. */
  const idsStagedBy = stmt<[string, string, string], number>(
    'SELECT chunk_id FROM chunk_stage WHERE collection_id = ? AND document_id = ? AND token = ?',
  ).pluck();

  /** Removes published chunks; searching processes hear of it through the change log. */
  const deletePublished = (collectionId: string, ids: number[]): void => {
    deleteChunks(collectionId, ids);
    for (const id of ids) {
      logVectorChange.run(collectionId, id);
    }
  };
  /** Removes a document's published chunks. */
  const deleteChunksOf = (documentId: string, collectionId: string): void => deletePublished(collectionId, publishedIdsOf.all(documentId));
  /**
   * Removes what unfinished publishes of a document staged, but for the one of token `keep`: an
   * attempt that died mid-publish, or one overtaken. Staged chunks were never searchable, so the
   * change log need not hear of them.
   */
  const deleteStagedOf = (documentId: string, collectionId: string, keep = ''): void => {
    deleteChunks(collectionId, stagedIdsOf.all(collectionId, documentId, keep));
  };

  /** A new attempt takes a document over; whatever an earlier one left staged (it died mid-publish) goes. */
  const claim = db.transaction((documentId: string, attemptId: string, workerId: string | undefined) => {
    const row = stmt<[{ attemptId: string; now: string; documentId: string; workerId: string | null }], DocumentRow>(
      `UPDATE documents SET state = 'parsing', attempts = attempts + 1, attempt_id = @attemptId, available_at = NULL,
           dispatched_at = coalesce(dispatched_at, @now), embedded_batches = '[]', worker_id = @workerId, updated_at = @now
         WHERE id = @documentId AND state NOT IN (${terminal}) RETURNING *`,
    ).get({ attemptId, now: now(), documentId, workerId: workerId ?? null });
    if (row) {
      deleteStagedOf(documentId, row.collection_id);
    }
    return row && toDocument(row);
  });

  /** A cancel stops a publish between two slices: its next one finds the document cancelled, and what it staged is gone. */
  const cancel = db.transaction((documentId: string) => {
    const at = now();
    const row = stmt<[string, string, string], DocumentRow>(
      `UPDATE documents SET state = 'cancelled', attempt_id = NULL, completed_at = ?, updated_at = ? WHERE id = ? AND state NOT IN (${terminal}) RETURNING *`,
    ).get(at, at, documentId);
    if (row) {
      deleteStagedOf(documentId, row.collection_id);
    }
    return row && toDocument(row);
  });

  const deleteDocument = db.transaction((documentId: string) => {
    const row = getDocumentRow.get(documentId);
    if (!row) {
      return false;
    }
    deleteChunksOf(documentId, row.collection_id);
    deleteStagedOf(documentId, row.collection_id);
    // Skipped copies point at this document; they go with it rather than point at nothing.
    stmt('DELETE FROM documents WHERE duplicate_of = ?').run(documentId);
    stmt('DELETE FROM documents WHERE id = ?').run(documentId);
    return true;
  });

  /** The document's row while `attemptId` still owns it, else undefined: the attempt was overtaken. */
  const liveRow = (documentId: string, attemptId: string): DocumentRow | undefined => {
    const row = getDocumentRow.get(documentId);
    return row && row.attempt_id === attemptId && !terminalStates.includes(row.state as DocumentState) ? row : undefined;
  };

  /**
   * The end of a publish, inside its last transaction: the previous version's chunks (`previous`) go,
   * searching processes hear of the change, and the document completes.
   */
  const markPublished = (row: DocumentRow, previous: number[], mediaType: string, count: number, partial?: PartialCompletion): void => {
    deletePublished(row.collection_id, previous);
    stmt('INSERT INTO vector_changes (collection_id, chunk_id) SELECT collection_id, id FROM chunks WHERE document_id = ?').run(row.id);
    pruneVectorChanges.run(options.vectorChangesKept ?? 500_000);
    const at = now();
    stmt(
      `UPDATE documents SET state = @state, media_type = @mediaType, chunks_total = @total, chunks_embedded = @embedded,
           error_code = @code, error_message = @message, failed_chunks = @failed, available_at = NULL, completed_at = @at, updated_at = @at
         WHERE id = @documentId`,
    ).run({
      state: partial ? 'completed_with_errors' : 'completed',
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
  const stageSlice = db.transaction(
    (
      documentId: string,
      attemptId: string,
      token: string,
      publish: { columns: { embedder: string; dimension: number }; mediaType: string; partial?: PartialCompletion | undefined },
      chunks: EmbeddedChunk[],
      from: number,
    ): number | 'published' | false => {
      const row = liveRow(documentId, attemptId);
      if (!row) {
        return false;
      }
      const first = from === 0;
      if (first) {
        deleteStagedOf(documentId, row.collection_id, token);
      }
      const { columns } = publish;
      const { vectors, fullText } = collectionTables(row.collection_id);
      const insertVector = stmt(`INSERT INTO ${vectors} (rowid, embedding) VALUES (?, ?)`);
      const insertText = stmt(`INSERT INTO ${fullText} (rowid, text) VALUES (?, ?)`);
      // The previous version's chunks, read before this slice adds chunks without stage rows.
      const previous = first ? publishedIdsOf.all(documentId) : [];
      const unstaged: (number | bigint)[] = [];
      const started = performance.now();
      let next = from;
      for (; next < chunks.length; next++) {
        // The clock is read every 16 chunks: a chunk takes a fifth of a millisecond or so. A write that
        // waits for the lock ends the slice at once (see writer-gate.ts).
        if (next > from && (gate.someoneWaits() || ((next - from) % 16 === 0 && performance.now() - started >= publishSliceMs))) {
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
        insertVector.run(BigInt(lastInsertRowid), Buffer.from(chunk.vector.buffer, chunk.vector.byteOffset, chunk.vector.byteLength));
        insertText.run(lastInsertRowid, chunk.text);
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

  const deleteStagedBy = db.transaction((collectionId: string, documentId: string, token: string) =>
    deleteChunks(collectionId, idsStagedBy.all(collectionId, documentId, token)),
  );

  /**
   * The publish's last transaction: the previous version's chunks go, the staged ones become
   * searchable, and the document completes, all at once.
   */
  const publishStaged = db.transaction(
    (documentId: string, attemptId: string, token: string, mediaType: string, count: number, partial?: PartialCompletion): boolean => {
      const row = liveRow(documentId, attemptId);
      if (!row) {
        return false;
      }
      if (idsStagedBy.all(row.collection_id, documentId, token).length !== count) {
        // Only another publish of the same attempt removes a token's chunks; that one owns the result.
        return false;
      }
      // Read while this publish's chunks still have their stage rows: the previous version's.
      const previous = publishedIdsOf.all(documentId);
      deleteStagedOf(documentId, row.collection_id, token);
      // What is left of the document is this publish's chunks: clearing their tokens makes them searchable.
      stmt('DELETE FROM chunk_stage WHERE collection_id = ? AND document_id = ? AND token = ?').run(row.collection_id, documentId, token);
      markPublished(row, previous, mediaType, count, partial);
      return true;
    },
  );

  /**
   * Publishes a document's chunks in slices of a few milliseconds each, so that no other writer (an
   * upload, in this process or another) waits long for the lock; searches see none of them until the
   * last, short transaction makes them all visible together, replacing the previous version. A document
   * that fits in one slice is published by that slice alone: a transaction less per document, the pause
   * after it, and no stage rows. Publishing the Python and R docs' 7,302 chunks (438 documents, one after
   * another) took 0.85–0.93 s instead of 1.48–1.60; with each document's registering and state changes,
   * 1.07–1.16 s of CPU instead of 1.16–1.28.
   */
  const complete: Store['complete'] = async (documentId, attemptId, mediaType, chunks, partial) => {
    const row = liveRow(documentId, attemptId);
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
    const columns = { embedder: `${collection.embedder_name}:${collection.embedder_model}`, dimension: collection.dimension };
    const publish = { columns, mediaType, partial };
    const token = newId('stg');
    let published = false;
    try {
      for (let from = 0; from < chunks.length; ) {
        const start = from;
        await gate.clear(sliceDeferMaxMs);
        const next = await retryWhileBusy(() => stageSlice.immediate(documentId, attemptId, token, publish, chunks, start), busyTimeoutMs);
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
        await retryWhileBusy(() => deleteStagedBy.immediate(row.collection_id, documentId, token), busyTimeoutMs).catch(() => undefined);
      }
    }
  };

  const collectionByName = (tenantId: string, name: string): Collection | undefined => {
    const row = stmt<[string, string], CollectionRow>('SELECT * FROM collections WHERE tenant_id = ? AND name = ?').get(
      tenantId,
      name,
    );
    return row && toCollection(row);
  };

  const toHits = (rows: ScoredChunk[]): SearchHit[] => chunkHits(searchStmt, rows);

  const sync: Synchronous<Omit<Store, 'complete' | 'searchText'>> = {
    ping() {
      stmt('SELECT 1').get();
    },

    ensureTenant(name) {
      const existing = stmt<[string], TenantRow>('SELECT * FROM tenants WHERE name = ?').get(name);
      if (existing) {
        return toTenant(existing);
      }
      const id = newId('ten');
      stmt('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING').run(
        id,
        name,
        now(),
      );
      return toTenant(stmt<[string], TenantRow>('SELECT * FROM tenants WHERE name = ?').get(name) as TenantRow);
    },
    getTenant(id) {
      const row = stmt<[string], TenantRow>('SELECT * FROM tenants WHERE id = ?').get(id);
      return row && toTenant(row);
    },
    setTenantLimits(id, limits) {
      const row = stmt<[Record<string, unknown>], TenantRow>(
        `UPDATE tenants SET max_in_flight = @maxInFlight, max_documents = @maxDocuments, max_bytes = @maxBytes, max_chunks = @maxChunks
           WHERE id = @id RETURNING *`,
      ).get({ id, ...limits });
      return row && toTenant(row);
    },
    getTenantUsage(id) {
      const held = stmt<[string], { documents: number; bytes: number }>(
        `SELECT count(*) AS documents, coalesce(sum(d.size_bytes), 0) AS bytes FROM documents d JOIN collections c ON c.id = d.collection_id
           WHERE c.tenant_id = ? AND d.state NOT IN ('failed', 'cancelled', 'skipped')`,
      ).get(id)!;
      const chunks = stmt<[string, string], number>(
        `SELECT (SELECT count(*) FROM chunks ch JOIN collections c ON c.id = ch.collection_id WHERE c.tenant_id = ?)
              - (SELECT count(*) FROM chunk_stage s JOIN collections c ON c.id = s.collection_id WHERE c.tenant_id = ?)`,
      )
        .pluck()
        .get(id, id)!;
      return { ...held, chunks };
    },
    createApiKey(input) {
      const row = stmt<[Record<string, unknown>], ApiKeyRow>(
        `INSERT INTO api_keys (id, tenant_id, key_hash, admin, prefix, name, created_at, expires_at)
           VALUES (@id, @tenantId, @keyHash, @admin, @prefix, @name, @now, @expiresAt) RETURNING ${apiKeyColumns}`,
      ).get({
        id: newId('key'),
        tenantId: input.tenantId,
        keyHash: input.keyHash,
        admin: input.admin ? 1 : 0,
        prefix: input.prefix,
        name: input.name ?? null,
        now: now(),
        // Stored as toISOString() text, so that expiry compares as text with the same shape.
        expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
      });
      return toApiKey(row as ApiKeyRow);
    },
    findApiKey(keyHash) {
      const row = stmt<[string, string], ApiKeyRow>(
        `SELECT ${apiKeyColumns} FROM api_keys WHERE key_hash = ? AND ${activeKey}`,
      ).get(keyHash, now());
      return row && toApiKey(row);
    },
    getApiKey(id) {
      const row = getApiKeyRow.get(id);
      return row && toApiKey(row);
    },
    listApiKeys(tenantId) {
      const rows =
        tenantId === undefined
          ? stmt<[], ApiKeyRow>(`SELECT ${apiKeyColumns} FROM api_keys ORDER BY id`).all()
          : stmt<[string], ApiKeyRow>(`SELECT ${apiKeyColumns} FROM api_keys WHERE tenant_id = ? ORDER BY id`).all(tenantId);
      return rows.map(toApiKey);
    },
    revokeApiKey(id, options = {}) {
      return revokeApiKey.immediate(id, options.keepAnAdmin === true);
    },
    recordApiKeyUse(id) {
      const at = now();
      stmt('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)').run(at, id, at);
    },
    countApiKeys() {
      return stmt('SELECT count(*) FROM api_keys').pluck().get() as number;
    },

    ensureCollection(tenantId, name, embedder) {
      const existing = collectionByName(tenantId, name);
      if (existing) {
        assertSameEmbedder(existing, embedder);
        return existing;
      }
      const id = newId('col');
      db.transaction(() => {
        stmt(
          'INSERT INTO collections (id, tenant_id, name, embedder_name, embedder_model, dimension, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(id, tenantId, name, embedder.name, embedder.model, embedder.dimension, now());
        createCollectionTables(db, id, embedder.dimension);
      }).immediate();
      return collectionByName(tenantId, name) as Collection;
    },
    getCollectionByName: collectionByName,
    setCollectionPartialSuccess(id, partialSuccess) {
      stmt('UPDATE collections SET partial_success = ? WHERE id = ?').run(partialSuccess ? 1 : 0, id);
      const row = getCollectionRow.get(id);
      return row && toCollection(row);
    },
    getCollection(id) {
      const row = getCollectionRow.get(id);
      return row && toCollection(row);
    },
    listCollections(tenantId) {
      return stmt<[string], CollectionRow>('SELECT * FROM collections WHERE tenant_id = ? ORDER BY name')
        .all(tenantId)
        .map(toCollection);
    },
    swapCollectionNames(tenantId, a, b) {
      db.transaction(() => {
        const rename = stmt('UPDATE collections SET name = ? WHERE tenant_id = ? AND name = ?');
        const parking = `~swap-${newId('tmp')}`;
        rename.run(parking, tenantId, a);
        rename.run(a, tenantId, b);
        rename.run(b, tenantId, parking);
      }).immediate();
    },
    deleteCollection(id) {
      const row = getCollectionRow.get(id);
      if (!row) {
        return false;
      }
      const { vectors, fullText } = collectionTables(id);
      db.transaction(() => {
        db.exec(`DROP TABLE IF EXISTS ${vectors}; DROP TABLE IF EXISTS ${fullText};`);
        stmt('DELETE FROM vector_changes WHERE collection_id = ?').run(id);
        stmt('DELETE FROM chunks WHERE collection_id = ?').run(id);
        stmt('DELETE FROM documents WHERE collection_id = ?').run(id);
        stmt('DELETE FROM batches WHERE collection_id = ?').run(id);
        stmt('DELETE FROM collections WHERE id = ?').run(id);
      }).immediate();
      vectorScans?.forget(id);
      stmt.clear();
      searchStmt.clear();
      textSearch?.forget();
      return true;
    },

    createBatch(collectionId, label) {
      const id = newId('bat');
      stmt('INSERT INTO batches (id, collection_id, label, created_at) VALUES (?, ?, ?, ?)').run(
        id,
        collectionId,
        label,
        now(),
      );
      return toBatch(stmt<[string], BatchRow>('SELECT * FROM batches WHERE id = ?').get(id) as BatchRow);
    },
    getBatch(id) {
      const row = stmt<[string], BatchRow>('SELECT * FROM batches WHERE id = ?').get(id);
      return row && toBatch(row);
    },
    listBatches(limit, tenantId) {
      if (tenantId === undefined) {
        return stmt<[number], BatchRow>('SELECT * FROM batches ORDER BY id DESC LIMIT ?').all(limit).map(toBatch);
      }
      return stmt<[string, number], BatchRow>(
        'SELECT b.* FROM batches b JOIN collections c ON c.id = b.collection_id WHERE c.tenant_id = ? ORDER BY b.id DESC LIMIT ?',
      )
        .all(tenantId, limit)
        .map(toBatch);
    },
    getBatchProgress(id) {
      const row = stmt<[string], BatchRow>('SELECT * FROM batches WHERE id = ?').get(id);
      if (!row) {
        return undefined;
      }
      const groups = stmt<[string], StateGroupRow>(
        `SELECT state, count(*) AS n, sum(chunks_total) AS total, sum(chunks_embedded) AS embedded FROM documents WHERE batch_id = ? GROUP BY state`,
      ).all(id);
      return toBatchProgress(row, groups);
    },

    registerDocument(input) {
      return registerDocument.immediate(input);
    },
    recordRejected(input) {
      const id = newId('doc');
      const at = now();
      stmt(
        `INSERT INTO documents (id, collection_id, batch_id, source, sha256, size_bytes, state, priority, error_code, error_message, created_at, updated_at, completed_at)
         VALUES (?, ?, ?, ?, '', ?, 'failed', ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        input.collectionId,
        input.batchId,
        input.source,
        input.sizeBytes,
        input.priority ?? 0,
        input.code,
        input.message,
        at,
        at,
        at,
      );
      return toDocument(getDocumentRow.get(id) as DocumentRow);
    },
    getDocument(id) {
      const row = getDocumentRow.get(id);
      return row && toDocument(row);
    },
    listDocuments(filter: DocumentFilter) {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: filter.limit ?? 100 };
      for (const [column, key] of [
        ['collection_id', 'collectionId'],
        ['batch_id', 'batchId'],
        ['id', 'documentId'],
        ['state', 'state'],
      ] as const) {
        if (filter[key] !== undefined) {
          where.push(`${column} = @${key}`);
          params[key] = filter[key];
        }
      }
      if (filter.tenantId !== undefined) {
        where.push('collection_id IN (SELECT id FROM collections WHERE tenant_id = @tenantId)');
        params.tenantId = filter.tenantId;
      }
      if (filter.after !== undefined) {
        where.push('id > @after');
        params.after = filter.after;
      }
      const sql = `SELECT * FROM documents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT @limit`;
      return stmt<[Record<string, unknown>], DocumentRow>(sql).all(params).map(toDocument);
    },
    listUnfinished() {
      return stmt<[], DocumentRow>(`SELECT * FROM documents WHERE state IN (${unfinished}) ORDER BY priority DESC, id`)
        .all()
        .map(toDocument);
    },
    dispatch(tenantId, options) {
      return dispatch.immediate(tenantId, options.maxInFlight, options.minFree ?? 1);
    },
    queuePosition(documentId) {
      const doc = getDocumentRow.get(documentId);
      if (!doc || doc.state !== 'queued' || (doc.available_at && doc.available_at > now())) {
        return undefined;
      }
      if (doc.dispatched_at === null) {
        const tenantId = (getCollectionRow.get(doc.collection_id) as CollectionRow).tenant_id;
        const ordered = stmt<[string], string>(awaitingDispatchInOrder).pluck().all(tenantId);
        const index = ordered.indexOf(documentId);
        return index < 0 ? undefined : index + 1;
      }
      return stmt<[Record<string, unknown>], number>(
        `SELECT count(*) + 1 FROM documents
          WHERE state = 'queued' AND dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= @now) AND id != @id
            AND (coalesce(dispatch_turn, 0) < @turn
              OR (coalesce(dispatch_turn, 0) = @turn AND (dispatched_at < @at OR (dispatched_at = @at AND id < @id))))`,
      )
        .pluck()
        .get({ now: now(), id: documentId, turn: doc.dispatch_turn ?? 0, at: doc.dispatched_at });
    },
    listRunning() {
      return stmt<[], DocumentRow>(`SELECT * FROM documents WHERE state IN (${running}) ORDER BY updated_at`).all().map(toDocument);
    },
    summarizeWaiting() {
      const row = stmt<[{ now: string }], WaitingRow>(
        `SELECT
           count(*) FILTER (WHERE dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= @now)) AS for_worker,
           min(dispatched_at) FILTER (WHERE dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= @now)) AS for_worker_since,
           count(*) FILTER (WHERE dispatched_at IS NULL) AS for_share,
           min(created_at) FILTER (WHERE dispatched_at IS NULL) AS for_share_since,
           count(*) FILTER (WHERE available_at > @now) AS retrying,
           min(available_at) FILTER (WHERE available_at > @now) AS next_retry
         FROM documents WHERE state = 'queued'`,
      ).get({ now: now() })!;
      return toWaitingSummary(row);
    },
    listTenantsAwaitingDispatch() {
      return stmt<[], string>(
        `SELECT DISTINCT c.tenant_id FROM documents d JOIN collections c ON c.id = d.collection_id
           WHERE d.dispatched_at IS NULL AND d.state = 'queued'`,
      )
        .pluck()
        .all();
    },

    claim(documentId, attemptId, workerId) {
      return claim.immediate(documentId, attemptId, workerId);
    },
    setStage(documentId, attemptId, state, progress) {
      const sets = progress
        ? 'state = @state, chunks_total = @chunksTotal, chunks_embedded = @chunksEmbedded'
        : 'state = @state';
      const { changes } = stmt(fencedUpdate(sets)).run({ id: documentId, attemptId, state, now: now(), ...progress });
      return changes === 1;
    },
    recordEmbedded(documentId, attemptId, batch, count) {
      return recordEmbedded.immediate(documentId, attemptId, batch, count);
    },
    fail(documentId, attemptId, code, message) {
      const { changes } = stmt(
        fencedUpdate(
          `state = 'failed', error_code = @code, error_message = @message, available_at = NULL, completed_at = @now`,
        ),
      ).run({ id: documentId, attemptId, code, message, now: now() });
      return changes === 1;
    },
    scheduleRetry(documentId, attemptId, code, message, availableAt) {
      const { changes } = stmt(
        fencedUpdate(`state = 'queued', error_code = @code, error_message = @message, available_at = @availableAt`),
      ).run({ id: documentId, attemptId, code, message, availableAt: availableAt.toISOString(), now: now() });
      return changes === 1;
    },
    cancel(documentId) {
      return cancel.immediate(documentId);
    },
    requeue(filter) {
      const where = ['state = @state'];
      if (filter.batchId !== undefined) {
        where.push('batch_id = @batchId');
      }
      if (filter.collectionId !== undefined) {
        where.push('collection_id = @collectionId');
      }
      if (filter.documentId !== undefined) {
        where.push('id = @documentId');
      }
      const rows = stmt<[Record<string, unknown>], DocumentRow>(
        `UPDATE documents SET state = 'queued', attempts = 0, attempt_id = NULL, error_code = NULL, error_message = NULL, failed_chunks = NULL,
             available_at = NULL, dispatched_at = NULL, completed_at = NULL, updated_at = @now
           WHERE ${where.join(' AND ')} AND sha256 != '' RETURNING *`,
      ).all({
        state: filter.state,
        batchId: filter.batchId,
        collectionId: filter.collectionId,
        documentId: filter.documentId,
        now: now(),
      });
      return rows.map(toDocument);
    },

    deleteDocument(documentId) {
      return deleteDocument.immediate(documentId);
    },
    countDocumentsByState() {
      const rows = stmt<[], { state: DocumentState; n: number }>(
        'SELECT state, count(*) AS n FROM documents GROUP BY state',
      ).all();
      return Object.fromEntries(rows.map((r) => [r.state, r.n]));
    },

    countCompletedSince(since) {
      return stmt(`SELECT count(*) FROM documents WHERE state = 'completed' AND completed_at >= ?`)
        .pluck()
        .get(since.toISOString()) as number;
    },

    appendEvent(event) {
      return appendEvent.immediate(event);
    },
    listEvents({ batchId, documentId, afterSeq, limit }) {
      const [column, value] = batchId !== undefined ? ['batch_id', batchId] : ['document_id', documentId ?? ''];
      return stmt<[string, number, number], { seq: number; data: string }>(
        `SELECT seq, data FROM events WHERE ${column} = ? AND seq > ? ORDER BY seq LIMIT ?`,
      )
        .all(value, afterSeq, limit)
        .map((row) => ({ ...(JSON.parse(row.data) as SluiceEvent), seq: row.seq }));
    },

    getCachedEmbeddings(model, dimension, textHashes) {
      const found = new Map<string, Float32Array>();
      const select = stmt<[string, number, string], { vector: Buffer }>(
        'SELECT vector FROM embedding_cache WHERE model = ? AND dimension = ? AND text_sha256 = ?',
      );
      for (const hash of textHashes) {
        const row = select.get(model, dimension, hash);
        if (row) {
          // Copy out of SQLite's buffer, which is not guaranteed to be aligned for Float32Array.
          found.set(hash, new Float32Array(new Uint8Array(row.vector).buffer));
        }
      }
      return found;
    },
    putCachedEmbeddings(model, dimension, entries) {
      const insert = stmt(
        'INSERT OR IGNORE INTO embedding_cache (model, dimension, text_sha256, vector) VALUES (?, ?, ?, ?)',
      );
      db.transaction(() => {
        for (const { textHash, vector } of entries) {
          insert.run(model, dimension, textHash, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
        }
      })();
    },

    recordWorkerHeartbeat(worker) {
      stmt(
        `INSERT INTO workers (id, host, pid, started_at, last_seen_at) VALUES (@id, @host, @pid, @startedAt, @lastSeenAt)
         ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
      ).run(worker);
    },
    listLiveWorkers(withinMs) {
      const since = new Date(Date.now() - withinMs).toISOString();
      // Rows of workers gone for a day are noise; prune them as a side effect of looking.
      stmt('DELETE FROM workers WHERE last_seen_at < ?').run(new Date(Date.now() - 86_400_000).toISOString());
      return stmt<[string], { id: string; host: string; pid: number; started_at: string; last_seen_at: string }>(
        'SELECT * FROM workers WHERE last_seen_at >= ? ORDER BY started_at',
      )
        .all(since)
        .map((r) => ({ id: r.id, host: r.host, pid: r.pid, startedAt: r.started_at, lastSeenAt: r.last_seen_at }));
    },
    removeWorker(id) {
      stmt('DELETE FROM workers WHERE id = ?').run(id);
    },

    getIdempotentResponse(tenantId, key) {
      return stmt<[string, string], IdempotentResponse>(
        'SELECT status, body, fingerprint FROM idempotency_keys WHERE tenant_id = ? AND key = ?',
      ).get(tenantId, key);
    },
    putIdempotentResponse(tenantId, key, fingerprint, status, body) {
      const { changes } = stmt(
        `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
      ).run(tenantId, key, fingerprint, status, body, now());
      return changes === 1;
    },

    searchVector(collectionId, vector, k) {
      const { vectors } = collectionTables(collectionId);
      const scanned = vectorScans?.search(collectionId, vectors, vector, k, textSearch?.busy === true);
      if (scanned) {
        return toHits(scanned);
      }
      // sqlite-vec's kNN takes no filter: ask for as many more as there are staged chunks, which
      // `toHits` leaves out.
      const staged = searchStmt<[string], number>(`SELECT count(*) FROM (${stagedIds})`).pluck().get(collectionId) ?? 0;
      const rows = searchStmt<[Buffer, number], { rowid: number; distance: number }>(
        `SELECT rowid, distance FROM ${vectors} WHERE embedding MATCH ? AND k = ? ORDER BY distance`,
      ).all(Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength), Math.min(k + staged, 4096));
      return toHits(rows.map((r) => ({ id: Number(r.rowid), score: 1 - r.distance }))).slice(0, k);
    },
    countChunks(collectionId) {
      // Staged chunks are counted in their own small table and taken off, rather than each chunk row
      // being looked up in it.
      const n = collectionId
        ? stmt(`SELECT (SELECT count(*) FROM chunks WHERE collection_id = ?) - (SELECT count(*) FROM (${stagedIds}))`)
            .pluck()
            .get(collectionId, collectionId)
        : stmt('SELECT (SELECT count(*) FROM chunks) - (SELECT count(*) FROM chunk_stage)').pluck().get();
      return n as number;
    },

    close() {
      if (searchDb !== db) {
        searchDb.close();
      }
      db.close();
    },
  };
  const lifted = toAsync(sync, busyTimeoutMs, gate, options.yieldToOtherWriters === true ? sliceDeferMaxMs : 0);
  /** Run on the text-search thread, beside a hybrid query's vector scan on this one (see `text-search-host.ts`). */
  const searchText: Store['searchText'] = async (collectionId, query, k) => {
    const terms = searchTerms(query);
    if (terms.length === 0) {
      return [];
    }
    const request = { fullText: collectionTables(collectionId).fullText, collectionId, terms, k };
    const here = () => searchFullText(searchDb, searchStmt, request);
    return textSearch ? textSearch.search(request, here) : here();
  };
  const close: Store['close'] = async () => {
    // First, so that searches the thread had not answered are answered on the connection still open.
    await textSearch?.close();
    await lifted.close();
  };
  return { ...lifted, complete, searchText, close };
}
