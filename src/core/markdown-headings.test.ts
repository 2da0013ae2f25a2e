import { describe, expect, it } from 'vitest';
import { markdownHeadings } from './markdown-headings.js';

describe('markdownHeadings', () => {
  it('finds ATX headings, not lines in fenced code, not #hashtags', () => {
    const text = [
      '# Title', // 0
      'Some text with a #hashtag.',
      '   ## Indented heading',
      '```sh',
      '# a shell comment',
      '~~~',
      '# still in the backtick fence',
      '```',
      '#',
      '####### seven is not a heading',
      '~~~~',
      '# inside tildes',
      '```',
      '~~~~',
      '### After',
    ].join('\n');
    const at = (line: number) => text.split('\n').slice(0, line).join('\n').length + (line > 0 ? 1 : 0);
    expect(markdownHeadings(text)).toEqual([0, at(2) + 3, at(8), at(14)]);
  });

  it('never closes a fence left open', () => {
    expect(markdownHeadings('```\n# not a heading\n')).toEqual([]);
  });
});
