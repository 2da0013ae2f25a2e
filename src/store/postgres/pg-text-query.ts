import { queryTerms } from '../query-terms.js';

/**
 * A user's words as a `to_tsquery` expression: terms OR-ed (the same recall as the SQLite backend),
 * ranked by `ts_rank_cd`. Terms hold letters and digits only, so the query is never a syntax error.
 * Undefined when there is no term.
 */
export function toTsQuery(query: string): string | undefined {
  const terms = queryTerms(query);
  return terms.length > 0 ? terms.join(' | ') : undefined;
}
