import { termsOfWord } from './search-text.js';

const termPattern = /[\p{L}\p{M}\p{N}]+/gu;

/**
 * The distinct terms of a user's search, lower-cased: runs of letters, marks and digits only, so that no
 * operator or punctuation of the query can reach a full-text query language as syntax; a run of
 * ideographs is a phrase of tokens joined by a space, or one ideograph followed by `*` (`termsOfWord`).
 */
export function queryTerms(query: string): string[] {
  return [...new Set((query.toLowerCase().match(termPattern) ?? []).flatMap(termsOfWord))];
}
