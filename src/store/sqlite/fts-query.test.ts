import { describe, expect, it } from 'vitest';
import { toFullTextQuery } from './fts-query.js';

describe('toFullTextQuery', () => {
  it('quotes and ORs the terms, leaving out stop words and any syntax', () => {
    expect(toFullTextQuery('How do I open a file?')).toBe('"open" OR "file"');
    expect(toFullTextQuery('NEAR("x" AND y*)')).toBe('"near" OR "x" OR "y"');
  });

  it('keeps stop words when the query has nothing else, and gives nothing for no words', () => {
    expect(toFullTextQuery('to be or not to be')).toBe('"to" OR "be" OR "or" OR "not"');
    expect(toFullTextQuery(' ?! ')).toBeUndefined();
  });
});
