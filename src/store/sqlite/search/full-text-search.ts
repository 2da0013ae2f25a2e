import type Database from 'better-sqlite3';
import type { SearchHit } from '../../../core/types.js';
import { appendUnseen, needsAnyTermPass, type SearchTerm, type TermMatch } from '../../text-match.js';
import { chunkHits, type ScoredChunk } from './chunk-hits.js';
import { toFullTextQuery } from './fts-query.js';
import { isUnscoped, type SearchScope } from '../../../core/search-scope.js';
import { paramList, scopedDocumentsSql } from '../../search-scope-sql.js';
import { searchSql, type FullTextLimit } from '../sqlite-sql.js';
import type { StatementCache } from '../statement-cache.js';

/** What a full-text search of one collection asks for. */
export interface FullTextRequest {
  /** The collection's FTS5 table. */
  fullText: string;
  collectionId: string;
  /** Its terms (`searchTerms`), at least one. */
  terms: SearchTerm[];
  k: number;
  /** Only chunks of the documents within it. */
  scope?: SearchScope;
  /**
   * The most matches a pass ranks: where more chunks match, only the newest this many are ranked, so
   * that a word in most of a large collection's chunks costs no more than this many. 0: every match.
   */
  rankLimit: number;
}

/**
 * The best `k` published chunks by BM25: those holding every term, then, if too few do, those holding
 * any (see `TermMatch`). FTS5 computes BM25 for every match before it sorts them; with a `rankLimit`, a
 * pass ranks every match of a term in that many chunks or fewer (a rare term), and of the rest only the
 * newest matches, that many: a pass for every term where one is rare has no more matches than it, and
 * one for any term ranks the newest matches and every match of its rare terms.
 */
function rankFullText(statement: StatementCache, request: FullTextRequest): ScoredChunk[] {
  const { fullText, collectionId, terms, k, scope, rankLimit } = request;
  const params = paramList('sqlite');
  const scoped =
    scope && !isUnscoped(scope) ? scopedDocumentsSql('sqlite', collectionId, scope, params.add) : undefined;
  const rank = (limit: FullTextLimit, query: string, ...after: unknown[]): ScoredChunk[] =>
    statement<unknown[], { rowid: number; rank: number }>(searchSql.rankFullText(fullText, scoped, limit))
      .all(query, collectionId, ...params.values, ...after, k)
      .map((r) => ({ id: r.rowid, score: -r.rank }));
  let rare: SearchTerm[] | undefined;
  const rareTerms = (): SearchTerm[] =>
    (rare ??= terms.filter(
      (term) =>
        (statement<[string, number], number>(searchSql.matchesUpTo(fullText))
          .pluck()
          .get(toFullTextQuery([term], 'every'), rankLimit + 1) ?? 0) <= rankLimit,
    ));
  const run = (match: TermMatch): ScoredChunk[] => {
    const query = toFullTextQuery(terms, match);
    if (rankLimit <= 0) {
      return rank('every', query);
    }
    const few = rareTerms();
    if (few.length === 0) {
      return rank('newest', query, rankLimit);
    }
    if (match === 'every' || few.length === terms.length) {
      return rank('every', query);
    }
    const floor = statement<unknown[], number | bigint>(searchSql.rankFloor(fullText, scoped))
      .pluck()
      .safeIntegers()
      .get(query, collectionId, ...params.values, rankLimit - 1);
    return floor === undefined
      ? rank('every', query)
      : rank('newest-and-rare', query, floor, toFullTextQuery(few, 'any'));
  };
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
