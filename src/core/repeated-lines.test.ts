import { describe, expect, it } from 'vitest';
import { countedLines, lineKey, repeatedLineRule, withoutRepeatedChunks } from './repeated-lines.js';
import type { Chunk } from './types.js';

const chunk = (index: number, text: string): Chunk => ({
  index,
  text,
  tokenCount: 1,
  charStart: index * 100,
  charEnd: index * 100 + text.length,
  page: null,
});

describe('repeated lines', () => {
  it('keys a line the same way every time, and different lines differently', () => {
    expect(lineKey('Home · Products · Blog')).toBe(lineKey('Home · Products · Blog'));
    expect(lineKey('Home · Products · Blog')).toMatch(/^[0-9a-f]{16}$/);
    const keys = new Set(Array.from({ length: 10_000 }, (_, i) => lineKey(`line ${i}`)));
    expect(keys.size).toBe(10_000);
  });

  it('counts the distinct short lines of a page, from its top and bottom when it has many', () => {
    const long = 'x'.repeat(repeatedLineRule.maxLineChars + 1);
    expect(countedLines([chunk(0, 'Home\n  Blog  \n\nHome'), chunk(1, `Blog\n${long}\nPricing`)])).toEqual([
      'Home',
      'Blog',
      'Pricing',
    ]);
    const many = Array.from({ length: 500 }, (_, i) => `line ${i}`);
    const counted = countedLines([chunk(0, many.join('\n'))]);
    expect(counted).toHaveLength(repeatedLineRule.maxLinesPerPage);
    expect(counted[0]).toBe('line 0');
    expect(counted.at(-1)).toBe('line 499');
  });

  it('drops chunks made mostly of repeated lines, numbering the rest again', () => {
    const repeated = new Set(['Home', 'Products', 'Blog', 'Careers'].map(lineKey));
    const chunks = [
      chunk(0, 'Home\nProducts\nBlog\nCareers'),
      chunk(1, 'The DHCP server hands out addresses.\nHome'),
      chunk(2, 'Home\nProducts\nThe pricing of the plan'),
      chunk(3, 'Ranges are set by the administrator.'),
    ];
    expect(withoutRepeatedChunks(chunks, repeated).map((c) => [c.index, c.text.split('\n')[0]])).toEqual([
      [0, 'The DHCP server hands out addresses.'],
      [1, 'Ranges are set by the administrator.'],
    ]);
    expect(withoutRepeatedChunks(chunks, repeated)[0]?.charStart).toBe(100);
    // A page that is all chrome keeps its chunks.
    expect(withoutRepeatedChunks([chunk(0, 'Home\nBlog')], repeated)).toHaveLength(1);
    expect(withoutRepeatedChunks(chunks, new Set())).toEqual(chunks);
  });
});
