import type { TermMatch } from '../text-match.js';

/**
 * Search terms as a `to_tsquery` expression, AND-ed or OR-ed. Terms hold letters and digits only, so the
 * query is never a syntax error. The store ranks matches with `ts_rank`, which weighs how often the terms
 * occur: every match is ranked, and `ts_rank_cd` (cover density, which looks at how near the terms are)
 * cost about twice as much per chunk. At 100,000 chunks: median 16-18 ms against 22-24, p99 430-440 ms
 * against 1,140-1,230 (PostgreSQL 15, bench/query-latency.js).
 */
export function toTsQuery(terms: readonly string[], match: TermMatch): string {
  return terms.join(match === 'every' ? ' & ' : ' | ');
}
