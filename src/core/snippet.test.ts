import { describe, expect, it } from 'vitest';
import { snippetOf } from './snippet.js';

describe('snippetOf', () => {
  const long = `${'Some words before the point. '.repeat(20)}To install packages, run apt-get install as root.\n\n${'And some words after it. '.repeat(20)}`;

  it('cuts a passage around the first query word, at spaces, on one line', () => {
    const snippet = snippetOf(long, 'how do I install packages', 120);
    expect(snippet).toMatch(/^….*To install packages, run apt-get install as root\. And.*…$/);
    expect(snippet.length).toBeLessThanOrEqual(122);
    expect(snippet).not.toMatch(/\n/);
  });

  it('matches short words only whole and Chinese anywhere, and falls back to the start', () => {
    expect(snippetOf('scanner car. R is a language', 'r', 14)).toBe('…R is a…');
    expect(snippetOf('用户的家目录中保存着配置文件。'.repeat(30), '家目录', 20).includes('家目录')).toBe(true);
    expect(snippetOf('Nothing here matches at all.', 'zebra', 12)).toBe('Nothing here…');
    expect(snippetOf('Short text.', 'text')).toBe('Short text.');
  });
});
