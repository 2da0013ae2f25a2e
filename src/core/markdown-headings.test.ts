import { describe, expect, it } from 'vitest';
import { markdownHeadings, markdownOutline } from './markdown-headings.js';

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

describe('markdownOutline', () => {
  it('reports fenced code blocks from the opening fence to the end of the closing one', () => {
    const text = [
      '# Setup',
      '',
      '```ini',
      '# a comment',
      '',
      'key = value',
      '```',
      'Between.',
      '  ~~~~',
      '```',
      '# still code',
      '~~~~~ ',
      '## Done',
    ].join('\n');
    const { headings, codeBlocks } = markdownOutline(text);
    expect(headings.map((at) => text.slice(at, at + 7))).toEqual(['# Setup', '## Done']);
    expect(codeBlocks.map(([start, end]) => text.slice(start, end))).toEqual([
      '```ini\n# a comment\n\nkey = value\n```',
      '~~~~\n```\n# still code\n~~~~~ ',
    ]);
  });

  it('runs a fence left open to the end of the text', () => {
    const text = 'Intro\n\n```sh\n# not a heading\n';
    expect(markdownOutline(text).codeBlocks.map(([start, end]) => text.slice(start, end))).toEqual([
      '```sh\n# not a heading',
    ]);
    expect(markdownOutline('No code.').codeBlocks).toEqual([]);
  });
});
