const termPattern = /[\p{L}\p{N}]+/gu;

/**
 * The distinct words of a user's search, lower-cased: runs of letters and digits only, so that no
 * operator or punctuation of the query can reach a full-text query language as syntax.
 */
export function queryTerms(query: string): string[] {
  return [...new Set(query.toLowerCase().match(termPattern) ?? [])];
}
