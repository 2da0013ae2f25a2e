import { stemmerOf, stopWordsOfQuery } from '../core/language-rules.js';
import { queryTerms } from './query-terms.js';

/**
 * One term of a text search, as its alternatives: a chunk holds the term if it holds any of them (the
 * word as typed, and its stem in each stemmed language of the collection). Each is a word, a phrase of
 * tokens joined by a space, or a prefix ending in `*` (`queryTerms`).
 */
export type SearchTerm = readonly string[];

/**
 * The terms a text search looks for: the query's words less the stop words of its language (among
 * English and the collection's `languages`, see `stopWordsOfQuery`), unless the query has nothing else;
 * each word with its stems in the collection's stemmed languages, which is how their documents' words
 * are indexed (`indexedText`). Empty when there is no word at all.
 */
export function searchTerms(query: string, languages: readonly string[] = []): SearchTerm[] {
  const terms = queryTerms(query);
  const stopWords = stopWordsOfQuery(terms, languages);
  const telling = terms.filter((t) => !stopWords.has(t));
  const stemmers = languages.flatMap((l) => stemmerOf(l) ?? []);
  return (telling.length > 0 ? telling : terms).map((term) =>
    // Phrases (text without spaces, as pairs) and prefixes are never stemmed, at index time either.
    term.includes(' ') || term.endsWith('*') ? [term] : [...new Set([term, ...stemmers.map((stem) => stem(term))])],
  );
}

/**
 * Text search runs in two passes: chunks holding every term first (ranked among themselves), then, when
 * fewer than `k` do, chunks holding any term to fill the list. An engine answers the first pass from its
 * shortest posting list; an any-term query must score every chunk that holds any of the words, which in
 * a large collection is most of them (many times slower: `bench/query-latency.js`, measured in BENCH.md).
 */
export type TermMatch = 'every' | 'any';

/** Whether the any-term pass is needed after the every-term pass found `found` of `k` rows. */
export const needsAnyTermPass = (terms: readonly SearchTerm[], found: number, k: number): boolean =>
  found < k && terms.length > 1;

/** The every-term rows, then the any-term rows not among them (by `idOf`), `k` at most. */
export function appendUnseen<R>(every: readonly R[], any: readonly R[], k: number, idOf: (row: R) => number): R[] {
  const seen = new Set(every.map(idOf));
  return [...every, ...any.filter((r) => !seen.has(idOf(r)))].slice(0, k);
}
