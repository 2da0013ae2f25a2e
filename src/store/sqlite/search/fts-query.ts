import type { TermMatch } from '../../text-match.js';

/**
 * Search terms as an FTS5 query: every term quoted (so no word is read as syntax; a term of several
 * tokens is then a phrase, and one ending in `*` a prefix) and AND-ed or OR-ed, leaving the ranking to
 * BM25.
 */
export function toFullTextQuery(terms: readonly string[], match: TermMatch): string {
  return terms
    .map((t) => (t.endsWith('*') ? `"${t.slice(0, -1)}"*` : `"${t}"`))
    .join(match === 'every' ? ' AND ' : ' OR ');
}
