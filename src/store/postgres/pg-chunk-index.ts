import pgvector from 'pgvector';
import type { SearchHit } from '../../core/types.js';
import type { ChunkIndex } from '../../ports/chunk-index.js';
import type { CollectionStore } from '../../ports/collection-store.js';
import { isUnscoped } from '../../core/search-scope.js';
import { paramList, scopedDocumentsSql } from '../search-scope-sql.js';
import { toChunk, toSearchHit, type ChunkRow, type HitRow } from '../store-rows.js';
import { createCollectionLanguages } from '../collection-languages.js';
import { appendUnseen, needsAnyTermPass, searchTerms, type TermMatch } from '../text-match.js';
import type { PgContext } from './pg-context.js';
import { chunkIndexSql } from './pg-sql.js';
import { toTsQuery } from './pg-text-query.js';

/**
 * Search over published chunks: by vector (pgvector, one partial HNSW index per collection) and by
 * text (the tsvector kept in each chunk's row, GIN-indexed).
 */
export function createPgChunkIndex(
  { query, count, one, transaction }: PgContext,
  collections: Pick<CollectionStore, 'getCollection'>,
): ChunkIndex {
  let iterativeScans: Promise<boolean> | undefined;
  const languagesOf = createCollectionLanguages(async (collectionId) =>
    (await query<{ language: string }>(chunkIndexSql.languagesOf, [collectionId])).map((r) => r.language),
  );
  /** Whether pgvector (0.8 on) can keep scanning its index until a filtered query has its k rows. */
  const canScanOn = (): Promise<boolean> => {
    iterativeScans ??= one<{ extversion: string }>(chunkIndexSql.vectorVersion).then((row) => {
      const [major = 0, minor = 0] = (row?.extversion ?? '0.0').split('.').map(Number);
      return major > 0 || minor >= 8;
    });
    // A failed look (the database away a moment) is not kept: the next search asks again.
    iterativeScans.catch(() => {
      iterativeScans = undefined;
    });
    return iterativeScans;
  };

  return {
    async searchVector(collectionId, vector, k, scope) {
      const collection = await collections.getCollection(collectionId);
      if (!collection) {
        return [];
      }
      const dimension = Number(collection.embedder.dimension);
      const params = paramList('postgres', 3);
      const at: unknown[] = [pgvector.toSql(Array.from(vector)), k];
      if (!scope || isUnscoped(scope)) {
        const rows = await query<HitRow & { score: number }>(chunkIndexSql.nearest(collectionId, dimension), at);
        return rows.map((r) => toSearchHit(r, r.score));
      }
      const scoped = scopedDocumentsSql('postgres', collectionId, scope, params.add);
      const exact = (): Promise<(HitRow & { score: number })[]> =>
        query(chunkIndexSql.nearest(collectionId, dimension, scoped, true), [...at, ...params.values]);
      // The index's scan goes on past chunks out of scope, up to a bound (hnsw.max_scan_tuples): a
      // narrow scope it finds too few of is compared in full, which is cheap for a narrow scope.
      const scanned = (await canScanOn())
        ? await transaction(async (client) => {
            await client.query("SET LOCAL hnsw.iterative_scan = 'relaxed_order'");
            const sql = chunkIndexSql.nearestScoped(collectionId, dimension, scoped);
            return (await client.query<HitRow & { score: number }>(sql, [...at, ...params.values])).rows;
          })
        : [];
      const rows = scanned.length >= k ? scanned : await exact();
      return rows.map((r) => toSearchHit(r, r.score));
    },
    async searchText(collectionId, text, k, scope) {
      const terms = searchTerms(text, await languagesOf(collectionId));
      if (terms.length === 0) {
        return [];
      }
      const params = paramList('postgres', 4);
      const scoped =
        scope && !isUnscoped(scope) ? scopedDocumentsSql('postgres', collectionId, scope, params.add) : undefined;
      const run = async (match: TermMatch): Promise<SearchHit[]> =>
        (
          await query<HitRow & { score: number }>(chunkIndexSql.text(scoped), [
            collectionId,
            toTsQuery(terms, match),
            k,
            ...params.values,
          ])
        ).map((r) => toSearchHit(r, r.score));
      const every = await run('every');
      return needsAnyTermPass(terms, every.length, k)
        ? appendUnseen(every, await run('any'), k, (hit) => hit.chunkId)
        : every;
    },
    countChunks(collectionId) {
      return collectionId ? count(chunkIndexSql.countOfCollection, [collectionId]) : count(chunkIndexSql.countAll);
    },
    async documentChunks(documentId, page) {
      return (await query<ChunkRow>(chunkIndexSql.documentChunks, [documentId, page.from, page.limit])).map(toChunk);
    },
  };
}
