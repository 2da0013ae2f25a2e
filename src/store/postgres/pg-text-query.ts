import type { SearchTerm, TermMatch } from '../text-match.js';

/**
 * Search terms as a `to_tsquery` expression, AND-ed or OR-ed, a term's alternatives OR-ed in
 * parentheses; a phrase's tokens must follow each other (`<->`), and one ending in `*` is a prefix.
 * Tokens hold letters and digits only, so the query is never a syntax error.
 */
export function toTsQuery(terms: readonly SearchTerm[], match: TermMatch): string {
  const asQuery = (t: string): string =>
    t.endsWith('*') ? `${t.slice(0, -1)}:*` : t.includes(' ') ? `(${t.split(' ').join(' <-> ')})` : t;
  return terms
    .map((alternatives) =>
      alternatives.length === 1 ? asQuery(alternatives[0] as string) : `(${alternatives.map(asQuery).join(' | ')})`,
    )
    .join(match === 'every' ? ' & ' : ' | ');
}
