import { describe, expect, it } from 'vitest';
import { sanitizeFilename } from './sanitize-filename.js';

describe('sanitizeFilename', () => {
  it('keeps the folders a name comes with, joined by /', () => {
    expect(sanitizeFilename('faq/index.rst.txt')).toBe('faq/index.rst.txt');
    expect(sanitizeFilename('docs\\howto\\index.rst.txt')).toBe('docs/howto/index.rst.txt');
    expect(sanitizeFilename('report.pdf')).toBe('report.pdf');
  });

  it('drops traversal, empty steps, leading dots and control characters', () => {
    expect(sanitizeFilename('../../etc/passwd')).toBe('etc/passwd');
    expect(sanitizeFilename('/abs//./x.txt')).toBe('abs/x.txt');
    expect(sanitizeFilename('.hidden/.env')).toBe('hidden/env');
    expect(sanitizeFilename('a\u0000b/c\nd.txt')).toBe('ab/cd.txt');
    expect(sanitizeFilename('c1\u0085\u009bname.txt')).toBe('c1name.txt');
  });

  it('drops bidirectional overrides, isolates and marks, so a name shows as what it is', () => {
    expect(sanitizeFilename('rtl\u202etxt.exe')).toBe('rtltxt.exe');
    for (const mark of [
      '\u202a',
      '\u202b',
      '\u202c',
      '\u202d',
      '\u202e',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\u200e',
      '\u200f',
      '\u061c',
    ]) {
      expect(sanitizeFilename(`a${mark}b.txt`)).toBe('ab.txt');
    }
  });

  it('keeps the extension of a name cut to 255 characters, and never splits a character in two', () => {
    const cut = sanitizeFilename(`${'n'.repeat(400)}.csv`);
    expect(cut).toHaveLength(255);
    expect(cut.endsWith('.csv')).toBe(true);
    const emoji = sanitizeFilename(`${'😀'.repeat(300)}.md`);
    expect(Array.from(emoji)).toHaveLength(255);
    expect(emoji.endsWith('😀.md')).toBe(true);
    expect(sanitizeFilename(`${'x'.repeat(300)}`)).toHaveLength(255);
  });

  it('names what is left empty "upload", and keeps the end of a very long name', () => {
    expect(sanitizeFilename(undefined)).toBe('upload');
    expect(sanitizeFilename('../..//')).toBe('upload');
    expect(sanitizeFilename('\u202e\u0000')).toBe('upload');
    const long = `${'d/'.repeat(600)}file.txt`;
    expect(sanitizeFilename(long).length).toBeLessThanOrEqual(1024);
    expect(sanitizeFilename(long)).toMatch(/^d\/d\/.*\/file\.txt$/);
  });
});
