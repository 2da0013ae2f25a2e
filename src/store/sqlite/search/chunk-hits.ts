import type { SearchHit } from '../../../core/types.js';
import { toSearchHit, type HitRow } from '../../store-rows.js';
import { searchSql } from '../sqlite-sql.js';
import type { StatementCache } from '../statement-cache.js';

/** A chunk's rowid and its score for a search: cosine similarity, or BM25 turned so that higher is better. */
export interface ScoredChunk {
  id: number;
  score: number;
}

/** Chunks by rowid as search hits with `score`, in the order given; chunks gone or staged are left out. */
export function chunkHits(statement: StatementCache, rows: readonly ScoredChunk[]): SearchHit[] {
  if (rows.length === 0) {
    return [];
  }
  const found = statement<unknown[], HitRow>(searchSql.hits(rows.length)).all(...rows.map((r) => r.id));
  const byId = new Map(found.map((r) => [r.chunk_id, r]));
  return rows.flatMap(({ id, score }) => {
    const r = byId.get(id);
    return r ? [toSearchHit(r, score)] : [];
  });
}
