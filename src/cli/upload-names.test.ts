import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { uploadNames } from './upload-names.js';

describe('uploadNames', () => {
  it('names files by their path below the folder holding them all, so equal base names stay apart', () => {
    const root = join('/', 'data', 'python-text');
    const paths = [
      join(root, 'faq', 'index.rst.txt'),
      join(root, 'howto', 'index.rst.txt'),
      join(root, 'howto', 'sorting.rst.txt'),
    ];
    expect(uploadNames(paths)).toEqual(['faq/index.rst.txt', 'howto/index.rst.txt', 'howto/sorting.rst.txt']);
  });

  it('keeps plain file names for one file or a flat folder', () => {
    expect(uploadNames([join('/', 'a', 'report.pdf')])).toEqual(['report.pdf']);
    expect(uploadNames([join('/', 'a', 'x.txt'), join('/', 'a', 'y.txt')])).toEqual(['x.txt', 'y.txt']);
  });

  it('goes up to the root when the files share no folder below it', () => {
    expect(uploadNames([join('/', 'a', 'x.txt'), join('/', 'b', 'x.txt')])).toEqual(['a/x.txt', 'b/x.txt']);
    expect(uploadNames([])).toEqual([]);
  });
});
