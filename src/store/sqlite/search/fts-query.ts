import type { SearchTerm, TermMatch } from '../../text-match.js';

/**
 * Search terms as an FTS5 query: every alternative quoted (so no word is read as syntax; one of several
 * tokens is then a phrase, and one ending in `*` a prefix), a term's alternatives OR-ed in parentheses,
 * and the terms AND-ed or OR-ed, leaving the ranking to BM25.
 */
export function toFullTextQuery(terms: readonly SearchTerm[], match: TermMatch): string {
  const quoted = (t: string): string => (t.endsWith('*') ? `"${t.slice(0, -1)}"*` : `"${t}"`);
  return terms
    .map((alternatives) =>
      alternatives.length === 1 ? quoted(alternatives[0] as string) : `(${alternatives.map(quoted).join(' OR ')})`,
    )
    .join(match === 'every' ? ' AND ' : ' OR ');
}
