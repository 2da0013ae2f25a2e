import { queryTerms } from '../query-terms.js';

/**
 * English words too common to tell chunks apart. OR-ed into a query, each matches nearly every chunk,
 * and BM25 must then score them all: at 100,000 chunks that made a text query take about 100 ms.
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
 * A user's words as an FTS5 query: every term quoted and OR-ed, leaving the ranking to BM25. Stop
 * words are left out unless the query has nothing else. Undefined when there is no term.
 */
export function toFullTextQuery(query: string): string | undefined {
  const terms = queryTerms(query);
  const telling = terms.filter((t) => !stopWords.has(t));
  const kept = telling.length > 0 ? telling : terms;
  return kept.length > 0 ? kept.map((t) => `"${t}"`).join(' OR ') : undefined;
}
