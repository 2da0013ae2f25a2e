import { describe, expect, it } from 'vitest';
import { headingsOnPage } from './pdf-outline.js';

describe('headings of a PDF page from its outline', () => {
  const page =
    '12\nRunning header\n3.1 Loading\nLoading data is slow.\n3.2 Saving the\nresults\nIt is saved.\nA.1 Loading\n';
  const lines = (found: number[]): string[] => found.map((at) => page.slice(at).split('\n')[0] as string);

  it('finds each title as a line of its own, in order, across a line break, in any case', () => {
    expect(lines(headingsOnPage(page, ['3.1 loading', '3.2 Saving the results']))).toEqual([
      '3.1 Loading',
      '3.2 Saving the',
    ]);
  });

  it('finds a title the outline gives without the section number the page shows', () => {
    expect(lines(headingsOnPage(page, ['Loading', 'Saving the results', 'Loading']))).toEqual([
      '3.1 Loading',
      '3.2 Saving the',
      'A.1 Loading',
    ]);
  });

  it('does not take a page number on the line before for a section number', () => {
    const found = headingsOnPage('2\n1 Introduction\nText.', ['1 Introduction']);
    expect(found).toEqual([2]);
  });

  it('leaves out titles the page does not show, and sentences that begin with a title', () => {
    expect(headingsOnPage(page, ['Chapter 9', 'Loading data', 'It'])).toEqual([]);
    expect(headingsOnPage('', ['Anything'])).toEqual([]);
  });
});
