const termPattern = /[\p{L}\p{N}]+/gu;

/**
 * A user's words as an FTS5 query: every term quoted (so operators and punctuation in the query are
 * text, never syntax) and OR-ed, leaving the ranking to BM25. Undefined when there is no term.
 */
export function toFullTextQuery(query: string): string | undefined {
  const terms = [...new Set(query.toLowerCase().match(termPattern) ?? [])];
  return terms.length > 0 ? terms.map((t) => `"${t}"`).join(' OR ') : undefined;
}
