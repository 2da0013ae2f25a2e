import pgvector from 'pgvector';
import type { SearchHit } from '../../core/types.js';
import type { ChunkIndex } from '../../ports/chunk-index.js';
import type { CollectionStore } from '../../ports/collection-store.js';
import { toSearchHit, type HitRow } from '../store-rows.js';
import { appendUnseen, needsAnyTermPass, searchTerms, type TermMatch } from '../text-match.js';
import type { PgContext } from './pg-context.js';
import { chunkIndexSql } from './pg-sql.js';
import { toTsQuery } from './pg-text-query.js';

/**
 * Search over published chunks: by vector (pgvector, one partial HNSW index per collection) and by
 * text (the tsvector kept in each chunk's row, GIN-indexed).
 */
export function createPgChunkIndex(
  { query, count }: PgContext,
  collections: Pick<CollectionStore, 'getCollection'>,
): ChunkIndex {
  return {
    async searchVector(collectionId, vector, k) {
      const collection = await collections.getCollection(collectionId);
      if (!collection) {
        return [];
      }
      const rows = await query<HitRow & { score: number }>(
        chunkIndexSql.nearest(collectionId, Number(collection.embedder.dimension)),
        [pgvector.toSql(Array.from(vector)), k],
      );
      return rows.map((r) => toSearchHit(r, r.score));
    },
    async searchText(collectionId, text, k) {
      const terms = searchTerms(text);
      if (terms.length === 0) {
        return [];
      }
      const run = async (match: TermMatch): Promise<SearchHit[]> =>
        (await query<HitRow & { score: number }>(chunkIndexSql.text, [collectionId, toTsQuery(terms, match), k])).map(
          (r) => toSearchHit(r, r.score),
        );
      const every = await run('every');
      return needsAnyTermPass(terms, every.length, k)
        ? appendUnseen(every, await run('any'), k, (hit) => hit.chunkId)
        : every;
    },
    countChunks(collectionId) {
      return collectionId ? count(chunkIndexSql.countOfCollection, [collectionId]) : count(chunkIndexSql.countAll);
    },
  };
}
