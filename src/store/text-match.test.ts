import { describe, expect, it } from 'vitest';
import { toTsQuery } from './postgres/pg-text-query.js';
import { indexedText } from './search-text.js';
import { toFullTextQuery } from './sqlite/search/fts-query.js';
import { appendUnseen, needsAnyTermPass, searchTerms } from './text-match.js';

describe('text search terms', () => {
  it('keeps the telling words, leaving out stop words and any syntax', () => {
    expect(searchTerms('How do I open a file?')).toEqual([['open'], ['file']]);
    expect(searchTerms('NEAR("x" AND y*)')).toEqual([['near'], ['x'], ['y']]);
  });

  it('keeps stop words when the query has nothing else, and gives nothing for no words', () => {
    expect(searchTerms('to be or not to be')).toEqual([['to'], ['be'], ['or'], ['not']]);
    expect(searchTerms(' ?! ')).toEqual([]);
  });

  it('leaves out the stop words of the language the query is in, among those of the collection', () => {
    // German stop words in a German collection: the query's own words remain.
    expect(searchTerms('Wie richte ich einen DHCP Server ein', ['de']).map((t) => t[0])).toEqual([
      'richte',
      'dhcp',
      'server',
    ]);
    // Not without German in the collection: no German stop list is taken.
    expect(searchTerms('wie richte ich einen', []).map((t) => t[0])).toEqual(['wie', 'richte', 'ich', 'einen']);
    // An English query in a mixed collection keeps "die", a German stop word.
    expect(searchTerms('how does a process die', ['en', 'de']).map((t) => t[0])).toEqual(['process', 'die']);
  });

  it('searches each word as typed and as its stem in each stemmed language of the collection', () => {
    expect(searchTerms('Verzeichnisse', ['de'])).toEqual([['verzeichnisse', 'verzeichnis']]);
    expect(searchTerms('utilisateurs', ['en', 'fr', 'de'])).toEqual([['utilisateurs', 'utilis', 'utilisateur']]);
    // English is stemmed by the engines themselves, and phrases of ideographs never are.
    expect(searchTerms('files', ['en'])).toEqual([['files']]);
    expect(searchTerms('家目录', ['de'])).toEqual([['家目 目录']]);
    // The stems a query looks for are the forms a document of that language is indexed under.
    expect(indexedText('Die Verzeichnisse der Benutzer', 'de')).toBe('die verzeichnis der benutz');
    expect(indexedText('Die Verzeichnisse der Benutzer', 'en')).toBe('Die Verzeichnisse der Benutzer');
    expect(indexedText('Les utilisateurs de 家目录', 'fr')).toBe('le utilis de  家目 目录 录 ');
  });

  it('writes every-term and any-term queries for FTS5 and PostgreSQL, a term’s alternatives in parentheses', () => {
    expect(toFullTextQuery([['open'], ['file']], 'every')).toBe('"open" AND "file"');
    expect(toFullTextQuery([['open'], ['file']], 'any')).toBe('"open" OR "file"');
    expect(toTsQuery([['open'], ['file']], 'every')).toBe('open & file');
    expect(toTsQuery([['open'], ['file']], 'any')).toBe('open | file');
    expect(toFullTextQuery([['benutzern', 'benutz'], ['家目 目录'], ['家*']], 'every')).toBe(
      '("benutzern" OR "benutz") AND "家目 目录" AND "家"*',
    );
    expect(toTsQuery([['benutzern', 'benutz'], ['家目 目录'], ['家*']], 'any')).toBe(
      '(benutzern | benutz) | (家目 <-> 目录) | 家:*',
    );
  });

  it('fills a short every-term list with unseen any-term rows, k at most', () => {
    expect(needsAnyTermPass([['a'], ['b']], 1, 5)).toBe(true);
    expect(needsAnyTermPass([['a'], ['b']], 5, 5)).toBe(false);
    expect(needsAnyTermPass([['a']], 0, 5)).toBe(false);
    const rows = (...ids: number[]) => ids.map((chunkId) => ({ chunkId }));
    expect(appendUnseen(rows(3, 1), rows(1, 7, 3, 9, 8), 4, (r) => r.chunkId)).toEqual(rows(3, 1, 7, 9));
  });
});
