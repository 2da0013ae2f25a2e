import { queryTerms } from './query-terms.js';

/**
 * English words too common to tell chunks apart. OR-ed into a query, each matches nearly every chunk,
 * and BM25 must then score them all, which made text queries slow (measured in BENCH.md).
 * PostgreSQL's `english` configuration drops these (and more) itself.
 */
const stopWords = new Set(
  (
    'a an and are as at be but by do does for from how i if in into is it its me my no not of on or our ' +
    'so such than that the their then there these they this to was we were what when where which who why ' +
    'will with you your'
  ).split(' '),
);

/**
 * The terms a text search looks for: the query's words less stop words, unless the query has nothing
 * else. Empty when there is no word at all.
 */
export function searchTerms(query: string): string[] {
  const terms = queryTerms(query);
  const telling = terms.filter((t) => !stopWords.has(t));
  return telling.length > 0 ? telling : terms;
}

/**
 * Text search runs in two passes: chunks holding every term first (ranked among themselves), then, when
 * fewer than `k` do, chunks holding any term to fill the list. An engine answers the first pass from its
 * shortest posting list; an any-term query must score every chunk that holds any of the words, which in
 * a large collection is most of them (many times slower: `bench/query-latency.js`, measured in BENCH.md).
 */
export type TermMatch = 'every' | 'any';

/** Whether the any-term pass is needed after the every-term pass found `found` of `k` rows. */
export const needsAnyTermPass = (terms: readonly string[], found: number, k: number): boolean =>
  found < k && terms.length > 1;

/** The every-term rows, then the any-term rows not among them (by `idOf`), `k` at most. */
export function appendUnseen<R>(every: readonly R[], any: readonly R[], k: number, idOf: (row: R) => number): R[] {
  const seen = new Set(every.map(idOf));
  return [...every, ...any.filter((r) => !seen.has(idOf(r)))].slice(0, k);
}
