import type { SearchHit } from '../../core/types.js';
import type { ChunkIndex } from '../../ports/chunk-index.js';
import { isUnscoped, type SearchScope } from '../../core/search-scope.js';
import { paramList, scopedDocumentsSql } from '../search-scope-sql.js';
import { createCollectionLanguages } from '../collection-languages.js';
import { toChunk, type ChunkRow } from '../store-rows.js';
import { searchTerms } from '../text-match.js';
import { chunkHits, type ScoredChunk } from './search/chunk-hits.js';
import { searchFullText } from './search/full-text-search.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { collectionTables } from './sqlite-migrations.js';
import { searchSql } from './sqlite-sql.js';
import { nearestFromFile } from './search/vector-scan.js';
import { vectorScanSource } from './search/vector-scan-source.js';

/**
 * Searches over published chunks, by vector (the in-memory scan, else sqlite-vec's kNN) and by full
 * text (FTS5, on the text-search thread when there is one), on the search connection. `searchText` is
 * asynchronous of itself; the rest runs synchronously like every other role.
 */
export function createSqliteChunkIndex({
  stmt,
  searchDb,
  searchStmt,
  vectorScans,
  textSearch,
  textRankLimit,
}: SqliteContext): {
  sync: Synchronous<Omit<ChunkIndex, 'searchText'>>;
  searchText: ChunkIndex['searchText'];
} {
  const toHits = (rows: ScoredChunk[]): SearchHit[] => chunkHits(searchStmt, rows);

  /**
   * The nearest chunks among those of the documents in scope: through the in-memory scan where it
   * holds the collection, else by reading each one's vector (sqlite-vec's kNN takes no filter).
   */
  const searchScoped = (
    collectionId: string,
    vectors: string,
    vector: Float32Array,
    k: number,
    scope: SearchScope,
  ): ScoredChunk[] => {
    const params = paramList('sqlite');
    const scoped = scopedDocumentsSql('sqlite', collectionId, scope, params.add);
    const allowed = new Set(
      searchStmt<unknown[], number>(searchSql.scopedChunks(scoped))
        .pluck()
        .all(...params.values, collectionId),
    );
    const scanned = vectorScans?.search(collectionId, vectors, vector, k, textSearch?.busy === true, allowed);
    return scanned ?? nearestFromFile(vectorScanSource(searchDb, searchStmt), vectors, vector, allowed, k);
  };

  const sync: Synchronous<Omit<ChunkIndex, 'searchText'>> = {
    searchVector(collectionId, vector, k, scope) {
      const { vectors } = collectionTables(collectionId);
      if (scope && !isUnscoped(scope)) {
        return toHits(searchScoped(collectionId, vectors, vector, k, scope)).slice(0, k);
      }
      const scanned = vectorScans?.search(collectionId, vectors, vector, k, textSearch?.busy === true);
      if (scanned) {
        return toHits(scanned);
      }
      // sqlite-vec's kNN takes no filter: ask for as many more as there are staged chunks, which
      // `toHits` leaves out.
      const staged = searchStmt<[string], number>(searchSql.stagedCount).pluck().get(collectionId) ?? 0;
      const rows = searchStmt<[Buffer, number], { rowid: number; distance: number }>(searchSql.nearest(vectors)).all(
        Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
        Math.min(k + staged, 4096),
      );
      return toHits(rows.map((r) => ({ id: Number(r.rowid), score: 1 - r.distance }))).slice(0, k);
    },
    countChunks(collectionId) {
      const n = collectionId
        ? stmt(searchSql.countOf).pluck().get(collectionId)
        : stmt(searchSql.countAll).pluck().get();
      return n as number;
    },
    documentChunks(documentId, page) {
      return searchStmt<[string, number, number], ChunkRow>(searchSql.documentChunks)
        .all(documentId, page.from, page.limit)
        .map(toChunk);
    },
  };

  const languagesOf = createCollectionLanguages((collectionId) =>
    searchStmt<[{ collectionId: string }], string>(searchSql.languagesOf).pluck().all({ collectionId }),
  );

  /** Run on the text-search thread, beside a hybrid query's vector scan on this one (see `text-search-host.ts`). */
  const searchText: ChunkIndex['searchText'] = async (collectionId, query, k, scope) => {
    const terms = searchTerms(query, await languagesOf(collectionId));
    if (terms.length === 0) {
      return [];
    }
    const request = {
      fullText: collectionTables(collectionId).fullText,
      collectionId,
      terms,
      k,
      rankLimit: textRankLimit,
      ...(scope && !isUnscoped(scope) ? { scope } : {}),
    };
    const here = () => searchFullText(searchDb, searchStmt, request);
    return textSearch ? textSearch.search(request, here) : here();
  };

  return { sync, searchText };
}
