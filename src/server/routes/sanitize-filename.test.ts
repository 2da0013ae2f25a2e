import { describe, expect, it } from 'vitest';
import { sanitizeFilename } from './upload-routes.js';

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
  });

  it('names what is left empty "upload", and keeps the end of a very long name', () => {
    expect(sanitizeFilename(undefined)).toBe('upload');
    expect(sanitizeFilename('../..//')).toBe('upload');
    const long = `${'d/'.repeat(600)}file.txt`;
    expect(sanitizeFilename(long).length).toBeLessThanOrEqual(1024);
    expect(sanitizeFilename(long)).toMatch(/^d\/d\/.*\/file\.txt$/);
  });
});
