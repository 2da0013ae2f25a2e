import { describe, expect, it } from 'vitest';
import { highlightPattern } from './highlight-pattern.js';

const marked = (text: string, query: string): string[] =>
  text.split(highlightPattern(query) as RegExp).filter((_, i) => i % 2 === 1);

describe('highlightPattern', () => {
  it('marks short words only whole, and longer ones where a word begins with them', () => {
    const text = 'Run an installer for R: the scanner can reinstall; C and c++ are an option.';
    expect(marked(text, 'r an c install')).toEqual(['an', 'installer', 'R', 'C', 'c', 'an']);
  });

  it('marks Chinese and Japanese wherever they stand, and nothing for a query of no word', () => {
    expect(marked('用户的家目录中保存着配置文件', '家目录')).toEqual(['家目录']);
    expect(marked('ユーザーのホームディレクトリ', 'ホームディレクトリ')).toEqual(['ホームディレクトリ']);
    expect(highlightPattern(' ?! ')).toBeUndefined();
  });

  it('reads the query as words, never as a pattern', () => {
    expect(marked('a (b) [c] .* d', '.* (b)')).toEqual(['b']);
  });
});
