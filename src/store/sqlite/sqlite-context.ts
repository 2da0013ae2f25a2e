import type Database from 'better-sqlite3';
import type { StatementCache } from './statement-cache.js';
import type { TextSearchThread } from './search/text-search-host.js';
import type { createVectorScans } from './search/vector-scan.js';
import type { WriterGate } from './writer-gate.js';

/** The store's methods as better-sqlite3 runs them: synchronously. */
export type Synchronous<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;
};

/** How long a write waits for another process's lock before it fails. */
export const busyTimeoutMs = 10_000;
/** The longest a slice holds off for other writes (see `writer-gate.ts`), so a publish never starves. */
export const sliceDeferMaxMs = 50;

/** What every role of the SQLite store works over: one file, two connections to it, and what they share. */
export interface SqliteContext {
  /** The writing connection. */
  db: Database.Database;
  /** Statements on the writing connection. */
  stmt: StatementCache;
  /** The connection searches read through (`search-connection.ts`); the writing one for an in-memory store. */
  searchDb: Database.Database;
  /** Statements on the search connection. */
  searchStmt: StatementCache;
  /** Lets short writes of this process go ahead of a publish's slices (`writer-gate.ts`). */
  gate: WriterGate;
  /** The time as the store records it: ISO text. */
  now: () => string;
  /** Searched collections' vectors in memory (`vector-scan.ts`); undefined when sqlite-vec searches alone. */
  vectorScans: ReturnType<typeof createVectorScans> | undefined;
  /** Runs full-text searches on a thread of their own (`text-search-host.ts`); undefined runs them here. */
  textSearch: TextSearchThread | undefined;
  /** Changes kept in `vector_changes`. */
  vectorChangesKept: number;
  /** The most matches a full-text pass ranks (`FullTextRequest`); 0: every match. */
  textRankLimit: number;
}
