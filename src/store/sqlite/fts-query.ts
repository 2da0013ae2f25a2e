import { queryTerms } from '../query-terms.js';

/**
 * A user's words as an FTS5 query: every term quoted and OR-ed, leaving the ranking to BM25.
 * Undefined when there is no term.
 */
export function toFullTextQuery(query: string): string | undefined {
  const terms = queryTerms(query);
  return terms.length > 0 ? terms.map((t) => `"${t}"`).join(' OR ') : undefined;
}
