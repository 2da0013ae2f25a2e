import { describe, expect, it } from 'vitest';
import { prng } from '../../test/helpers/prng.js';
import { createCl100kTokenizer } from './cl100k-tokenizer.js';

const tokenizer = createCl100kTokenizer();

// Pieces that stress the pre-tokenizer: whitespace runs with and without newlines (CRLF too),
// punctuation before newlines, contractions, digit runs, non-Latin letters, combining marks, emoji,
// surrogate halves, special-token look-alikes, code.
const parts = [
  'word',
  'Word',
  ' the',
  'über',
  'naïve',
  'e\u0301',
  '数据库',
  'Σίσυφος',
  '🙂',
  '𝐀𝐁',
  '\ud800',
  '\udc00',
  "'s",
  "'LL",
  "don't",
  '1',
  '12345678',
  '3.14',
  ' ',
  '  ',
  '    ',
  '\t',
  '\n',
  '\n\n',
  '\r\n',
  ' \n',
  '\n  \n',
  '.',
  '...',
  '.\n',
  ',',
  '!?',
  '(',
  ')',
  '{',
  '}',
  '=>',
  '<|endoftext|>',
  '#',
  '## ',
  '- ',
  '* ',
  'def f(x):\n    return x + 1\n',
  '\u00a0',
  '\u3000',
  '—',
  '…',
];

function randomText(random: () => number, length: number): string {
  let text = '';
  while (text.length < length) {
    text += parts[Math.floor(random() * parts.length)] as string;
  }
  return text;
}

describe('pre-token index', () => {
  it('counts every range exactly as the sliced range is counted', () => {
    const random = prng(7);
    let checked = 0;
    for (let round = 0; round < 40; round++) {
      const text = randomText(random, 500 + Math.floor(random() * 4000));
      const index = tokenizer.indexText?.(text);
      expect(index).toBeDefined();
      for (let i = 0; i < 150; i++) {
        const start = Math.floor(random() * text.length);
        const end = Math.min(text.length, start + Math.floor(random() * 2000));
        expect(index?.countRange(start, end), `round ${round}, range ${start}-${end}`).toBe(
          tokenizer.count(text.slice(start, end)),
        );
        checked++;
      }
    }
    expect(checked).toBe(6000);
  });

  it('counts ranges of prose and of a run too long to count up front', () => {
    const prose =
      'The quick brown fox jumps over the lazy dog. '.repeat(200) +
      'x'.repeat(3000) +
      ' tail words here.\n\n'.repeat(50);
    const index = tokenizer.indexText?.(prose);
    for (const [start, end] of [
      [0, prose.length],
      [5, 4000],
      [100, 9500],
      [8990, prose.length],
      [9000, 12_100],
    ] as const) {
      expect(index?.countRange(start, end)).toBe(tokenizer.count(prose.slice(start, end)));
    }
  });
});
