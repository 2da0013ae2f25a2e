import type { TermMatch } from '../text-match.js';

/**
 * Search terms as a `to_tsquery` expression, AND-ed or OR-ed; a phrase's tokens must follow each other
 * (`<->`), and a term ending in `*` is a prefix. Tokens hold letters and digits only, so the query is
 * never a syntax error.
 */
export function toTsQuery(terms: readonly string[], match: TermMatch): string {
  const asQuery = (t: string): string =>
    t.endsWith('*') ? `${t.slice(0, -1)}:*` : t.includes(' ') ? `(${t.split(' ').join(' <-> ')})` : t;
  return terms.map(asQuery).join(match === 'every' ? ' & ' : ' | ');
}
