import type Database from 'better-sqlite3';
import type { SearchHit } from '../../../core/types.js';
import { appendUnseen, needsAnyTermPass, type TermMatch } from '../../text-match.js';
import { chunkHits, type ScoredChunk } from './chunk-hits.js';
import { toFullTextQuery } from './fts-query.js';
import { searchSql } from '../sqlite-sql.js';
import type { StatementCache } from '../statement-cache.js';

/** What a full-text search of one collection asks for. */
export interface FullTextRequest {
  /** The collection's FTS5 table. */
  fullText: string;
  collectionId: string;
  /** Its terms (`searchTerms`), at least one. */
  terms: string[];
  k: number;
}

/**
 * The best `k` published chunks by BM25: those holding every term, then, if too few do, those holding
 * any (see `TermMatch`).
 */
function rankFullText(statement: StatementCache, { fullText, collectionId, terms, k }: FullTextRequest): ScoredChunk[] {
  const run = (match: TermMatch): ScoredChunk[] =>
    statement<[string, string, number], { rowid: number; rank: number }>(searchSql.rankFullText(fullText))
      .all(toFullTextQuery(terms, match), collectionId, k)
      .map((r) => ({ id: r.rowid, score: -r.rank }));
  const every = run('every');
  return needsAnyTermPass(terms, every.length, k) ? appendUnseen(every, run('any'), k, (row) => row.id) : every;
}

/**
 * A full-text search from ranking to the hits' text, in one read transaction: what it ranks is what it
 * returns, even while a publish swaps a document's chunks. Runs on whichever connection `statement`
 * compiles for: the text-search thread's (`text-search-thread.ts`) or the store's search connection.
 */
export function searchFullText(
  db: Database.Database,
  statement: StatementCache,
  request: FullTextRequest,
): SearchHit[] {
  return db.transaction(() => chunkHits(statement, rankFullText(statement, request)))();
}
