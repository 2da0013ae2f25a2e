import { describe, expect, it } from 'vitest';
import { toTsQuery } from './postgres/pg-text-query.js';
import { toFullTextQuery } from './sqlite/search/fts-query.js';
import { appendUnseen, needsAnyTermPass, searchTerms } from './text-match.js';

describe('text search terms', () => {
  it('keeps the telling words, leaving out stop words and any syntax', () => {
    expect(searchTerms('How do I open a file?')).toEqual(['open', 'file']);
    expect(searchTerms('NEAR("x" AND y*)')).toEqual(['near', 'x', 'y']);
  });

  it('keeps stop words when the query has nothing else, and gives nothing for no words', () => {
    expect(searchTerms('to be or not to be')).toEqual(['to', 'be', 'or', 'not']);
    expect(searchTerms(' ?! ')).toEqual([]);
  });

  it('writes every-term and any-term queries for FTS5 and PostgreSQL', () => {
    expect(toFullTextQuery(['open', 'file'], 'every')).toBe('"open" AND "file"');
    expect(toFullTextQuery(['open', 'file'], 'any')).toBe('"open" OR "file"');
    expect(toTsQuery(['open', 'file'], 'every')).toBe('open & file');
    expect(toTsQuery(['open', 'file'], 'any')).toBe('open | file');
  });

  it('fills a short every-term list with unseen any-term rows, k at most', () => {
    expect(needsAnyTermPass(['a', 'b'], 1, 5)).toBe(true);
    expect(needsAnyTermPass(['a', 'b'], 5, 5)).toBe(false);
    expect(needsAnyTermPass(['a'], 0, 5)).toBe(false);
    const rows = (...ids: number[]) => ids.map((chunkId) => ({ chunkId }));
    expect(appendUnseen(rows(3, 1), rows(1, 7, 3, 9, 8), 4, (r) => r.chunkId)).toEqual(rows(3, 1, 7, 9));
  });
});
