import { describe, expect, it } from 'vitest';
import { snippetOf, snippetsOf } from './snippet.js';

const marked = ({ text, highlights }: { text: string; highlights: [number, number][] }): string[] =>
  highlights.map(([start, end]) => text.slice(start, end));

describe('snippetOf', () => {
  const long = `${'Some words before the point. '.repeat(20)}To install packages, run apt-get install as root.\n\n${'And some words after it. '.repeat(20)}`;

  it('cuts a passage around the first query word, at spaces, on one line', () => {
    const snippet = snippetOf(long, 'how do I install packages', 'en', 120);
    expect(snippet.text).toMatch(/^….*To install packages, run apt-get install as root\. And.*…$/);
    expect(snippet.text.length).toBeLessThanOrEqual(122);
    expect(snippet.text).not.toMatch(/\n/);
    expect(marked(snippet)).toEqual(['install', 'packages', 'install']);
  });

  it('matches short words only whole and Chinese anywhere, and falls back to the start', () => {
    const r = snippetOf('scanner car. R is a language', 'r', null, 14);
    expect(r.text).toBe('…R is a…');
    expect(marked(r)).toEqual(['R']);
    const chinese = snippetOf('用户的家目录中保存着配置文件。'.repeat(30), '家目录', 'zh', 20);
    expect(chinese.text.includes('家目录')).toBe(true);
    expect(marked(chinese).every((m) => m === '家目录')).toBe(true);
    expect(snippetOf('Nothing here matches at all.', 'zebra', 'en', 12)).toEqual({
      text: 'Nothing here…',
      highlights: [],
    });
    expect(snippetOf('Short text.', 'text').text).toBe('Short text.');
  });

  it('finds and marks the forms of a query word in the document language, not only what begins with it', () => {
    const text = `${'Der Bericht beginnt mit einer langen Einleitung ohne Bezug. '.repeat(12)}Im alten Haus wohnten drei Familien.`;
    const german = snippetOf(text, 'Häuser', 'de', 80);
    expect(german.text).toMatch(/Haus wohnten/);
    expect(marked(german)).toEqual(['Haus']);
    // The same words in a document of unknown language: no stemmer, so no match, and the passage starts the text.
    expect(snippetOf(text, 'Häuser', null, 80).highlights).toEqual([]);
    const english = snippetOf('The server was restarted twice; restarting it fixed nothing.', 'restart servers', 'en');
    expect(marked(english)).toEqual(['server', 'restarted', 'restarting']);
  });

  it('marks no stop word of a query holding other words, and marks them when they are all it holds', () => {
    const text = 'Wie baut man ein Haus? Man baut es aus Stein, wie man es immer tat.';
    expect(marked(snippetOf(text, 'wie baut man', 'de'))).toEqual(['baut', 'baut']);
    expect(marked(snippetOf('To be or not to be.', 'to be', 'en'))).toEqual(['To', 'be', 'to', 'be']);
  });

  it('works a query out once for the hits of each language', () => {
    const of = snippetsOf('Häuser');
    expect(marked(of('Zwei Häuser und ein Haus.', 'de'))).toEqual(['Häuser', 'Haus']);
    expect(marked(of('Zwei Häuser und ein Haus.', null))).toEqual(['Häuser']);
  });
});
