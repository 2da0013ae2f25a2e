import type Database from 'better-sqlite3';
import { searchSql, stagedChunkIds, vectorChangeSql } from '../sqlite-sql.js';
import type { StatementCache } from '../statement-cache.js';
import { vectorsInBlocks, type StoredVector } from './vec0-blocks.js';
import type { VectorScanSource } from './vector-scan.js';

/** The statements the in-memory vector scans (`vector-scan.ts`) read through, on the search connection. */
export function vectorScanSource(searchDb: Database.Database, searchStmt: StatementCache): VectorScanSource {
  const rowByRow = (collectionId: string, vectors: string): Iterable<StoredVector> =>
    searchStmt<[string], StoredVector>(searchSql.vectorsToScan(vectors)).iterate(collectionId);
  return {
    all: (collectionId, vectors) =>
      vectorsInBlocks(
        searchStmt,
        vectors,
        () => new Set(searchStmt<[string], number>(stagedChunkIds).pluck().all(collectionId)),
      ) ?? rowByRow(collectionId, vectors),
    allRowByRow: rowByRow,
    count: (collectionId) => searchStmt<[string], number>(searchSql.countOf).pluck().get(collectionId) ?? 0,
    one: (vectors, rowid) => searchStmt<[bigint], Buffer>(searchSql.vector(vectors)).pluck().get(BigInt(rowid)),
    head: () => (searchStmt(vectorChangeSql.head).pluck().get() as number | undefined) ?? 0,
    oldest: () => (searchStmt(vectorChangeSql.oldest).pluck().get() as number | null) ?? undefined,
    changed: (collectionId, after, upTo) =>
      searchStmt<[string, number, number], number>(vectorChangeSql.changed).pluck().all(collectionId, after, upTo),
    snapshot: (work) => searchDb.transaction(work)(),
  };
}
