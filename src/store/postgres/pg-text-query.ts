import type { TermMatch } from '../text-match.js';

/**
 * Search terms as a `to_tsquery` expression, AND-ed or OR-ed. Terms hold letters and digits only, so the
 * query is never a syntax error.
 */
export function toTsQuery(terms: readonly string[], match: TermMatch): string {
  return terms.join(match === 'every' ? ' & ' : ' | ');
}
