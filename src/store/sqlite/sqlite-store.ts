import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import type { Store } from '../../ports/store.js';
import { retryWhileBusy } from './busy-retry.js';
import { isInMemory, openSearchConnection, searchMmapBytes } from './search/search-connection.js';
import { createSqliteChunkIndex } from './sqlite-chunk-index.js';
import { vectorScanSource } from './search/vector-scan-source.js';
import { createChunkRows } from './sqlite-chunk-rows.js';
import { createSqliteCollections } from './sqlite-collections.js';
import { createSqliteCopies } from './sqlite-copies.js';
import { busyTimeoutMs, sliceDeferMaxMs, type SqliteContext, type Synchronous } from './sqlite-context.js';
import { createSqliteDispatch } from './sqlite-dispatch.js';
import { createSqliteEmbeddingCache } from './sqlite-embedding-cache.js';
import { createSqliteEvents } from './sqlite-events.js';
import { createSqliteBlobReferences } from './sqlite-blob-references.js';
import { createSqliteCompaction, createSqliteHousekeeping } from './sqlite-housekeeping.js';
import { createSqliteIdempotency } from './sqlite-idempotency.js';
import { createSqliteLedger } from './sqlite-ledger.js';
import { createSqliteSources } from './sqlite-sources.js';
import { createSqliteStaging } from './sqlite-staging.js';
import { createSqliteUploads } from './sqlite-uploads.js';
import { migrate } from './sqlite-migrations.js';
import { createSqlitePublish } from './sqlite-publish.js';
import { storeSql } from './sqlite-sql.js';
import { createSqliteTenancy } from './sqlite-tenancy.js';
import { createSqliteTransitions } from './sqlite-transitions.js';
import { createSqliteWorkers } from './sqlite-workers.js';
import { statementCache } from './statement-cache.js';
import { createTextSearchThread } from './search/text-search-host.js';
import { createVectorScans } from './search/vector-scan.js';
import { createVectorLoader } from './search/vector-load-host.js';
import { createWriterGate, type WriterGate } from './writer-gate.js';

export interface SqliteStoreOptions {
  /** Path of the database file; `:memory:` for a throw-away store. */
  path: string;
  /**
   * Memory for int8 copies of searched collections' vectors (see `vector-scan.ts`), which vector
   * searches scan instead of sqlite-vec's table; 0 searches with sqlite-vec alone. @defaultValue 512 MiB
   */
  vectorScanBytes?: number;
  /**
   * The most matches a full-text pass ranks by BM25: where more chunks match, the newest this many
   * (see `full-text-search.ts`); 0 ranks every match. @defaultValue 20000
   */
  textRankLimit?: number;
  /**
   * A collection of this many chunks or more has its in-memory copy read on a thread of its own, while
   * sqlite-vec answers its searches (`vector-scan.ts`); 0 reads every copy on the searching thread.
   * @defaultValue 20000
   */
  backgroundLoadRows?: number;
  /** Told if a thread reading a collection's vectors fails; that copy is then read on the searching thread. */
  onVectorLoadFailed?: (error: unknown) => void;
  /** Changes kept in `vector_changes`; a search process further behind loads its collection afresh. @defaultValue 500000 */
  vectorChangesKept?: number;
  /**
   * Log pages after which a commit of this store copies the write-ahead log back into the database
   * (SQLite's `wal_autocheckpoint`). A checkpoint copies the pages and syncs both files, on the thread
   * whose commit crossed the mark, and stalled that thread under ingestion (BENCH.md). The store of a thread
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
   * Giving way lowers the `202`'s p99, and ingesting takes as long (`bench/upload-latency.js`, measured
   * in BENCH.md).
   */
  yieldToOtherWriters?: boolean;
}

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

/** Opens the file (migrated, in WAL mode), its search connection and what the roles share. */
function openContext(options: SqliteStoreOptions): SqliteContext {
  const gate = createWriterGate(options.writerGate);
  const db = new Database(options.path);
  // Takes effect on a new file only: free pages can then be handed back to the file system (`compact`).
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  // A deleted row's bytes are overwritten, not left in free pages: deleted means gone from the file.
  db.pragma('secure_delete = ON');
  sqliteVec.load(db);
  migrate(db);
  // From here on a busy lock is waited for without blocking the thread (`busy-retry.ts`).
  db.pragma('busy_timeout = 0');
  if (options.walAutocheckpointPages !== undefined) {
    db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(options.walAutocheckpointPages))}`);
  }
  const inMemory = isInMemory(options.path);
  const searchDb = inMemory
    ? db
    : openSearchConnection(
        options.path,
        options.vectorScanBytes === 0 ? searchMmapBytes.floats : searchMmapBytes.vectors,
      );
  if (searchDb !== db) {
    sqliteVec.load(searchDb);
  }
  const textSearch =
    inMemory || options.textSearchThread === false
      ? undefined
      : createTextSearchThread(
          options.path,
          options.onTextSearchThreadFailed ? { onFailed: options.onTextSearchThreadFailed } : {},
        );
  const searchStmt = statementCache(searchDb);
  const vectorScans =
    options.vectorScanBytes === 0
      ? undefined
      : createVectorScans(vectorScanSource(searchDb, searchStmt), {
          budgetBytes: options.vectorScanBytes ?? 512 * 1024 * 1024,
          ...(inMemory || options.backgroundLoadRows === 0
            ? {}
            : { loader: createVectorLoader(options.path), backgroundRows: options.backgroundLoadRows ?? 20_000 }),
          ...(options.onVectorLoadFailed ? { onLoadFailed: options.onVectorLoadFailed } : {}),
        });
  return {
    db,
    stmt: statementCache(db),
    searchDb,
    searchStmt,
    gate,
    now: () => new Date().toISOString(),
    vectorScans,
    textSearch,
    vectorChangesKept: options.vectorChangesKept ?? 500_000,
    textRankLimit: options.textRankLimit ?? 20_000,
  };
}

/**
 * The embedded store: ledger, chunks, vectors (sqlite-vec) and full text (FTS5) in one SQLite file in
 * WAL mode. Every state change is one statement or one transaction, fenced by the attempt id. Each role
 * is a file of this folder over one shared context; their SQL is in `sqlite-sql.ts`.
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const context = openContext(options);
  const { db, searchDb, gate, textSearch } = context;
  const chunkRows = createChunkRows(context);
  const chunkIndex = createSqliteChunkIndex(context);

  const collections = createSqliteCollections(context);
  const ledger = createSqliteLedger(context, chunkRows);
  const sync: Synchronous<Omit<Store, 'complete' | 'searchText' | 'compact'>> = {
    ping() {
      context.stmt(storeSql.ping).get();
    },
    ...createSqliteTenancy(context, collections.deleteCollection),
    ...collections,
    ...ledger,
    ...createSqliteStaging(context),
    ...createSqliteUploads(context, { createBatch: collections.createBatch, recordRejected: ledger.recordRejected }),
    ...createSqliteDispatch(context),
    ...createSqliteTransitions(context, chunkRows),
    ...createSqliteCopies(context),
    ...createSqliteEvents(context),
    ...createSqliteEmbeddingCache(context),
    ...createSqliteWorkers(context),
    ...createSqliteIdempotency(context),
    ...createSqliteBlobReferences(context),
    ...createSqliteSources(context),
    ...createSqliteHousekeeping(context),
    ...chunkIndex.sync,
    close() {
      if (searchDb !== db) {
        searchDb.close();
      }
      db.close();
    },
  };
  const lifted = toAsync(sync, busyTimeoutMs, gate, options.yieldToOtherWriters === true ? sliceDeferMaxMs : 0);
  const complete = createSqlitePublish(context, chunkRows);
  const close: Store['close'] = async () => {
    // First, so that searches the thread had not answered are answered on the connection still open.
    await textSearch?.close();
    await context.vectorScans?.close();
    await lifted.close();
  };
  return { ...lifted, complete, compact: createSqliteCompaction(context), searchText: chunkIndex.searchText, close };
}
