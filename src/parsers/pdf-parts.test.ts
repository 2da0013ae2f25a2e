import { describe, expect, it } from 'vitest';
import { joinPdfParts, pagesOfPart } from './pdf-parts.js';

describe('a PDF in parts', () => {
  it('the parts of any page count take every page once, in order, as evenly as they can', () => {
    for (let pageCount = 0; pageCount <= 12; pageCount++) {
      for (let of = 1; of <= 5; of++) {
        const pages = Array.from({ length: of }, (_, index) => pagesOfPart(pageCount, { index, of }));
        const read = pages.flatMap(({ first, end }) => Array.from({ length: end - first }, (_, i) => first + i));
        expect(read).toEqual(Array.from({ length: pageCount }, (_, i) => i + 1));
        const sizes = pages.map(({ first, end }) => end - first);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('joins parts into the text and page starts of one reading, skipping parts without pages', () => {
    const whole = {
      text: 'one\n\ntwo\n\nthree\n\n',
      mediaType: 'application/pdf',
      pageStarts: [0, 5, 10, 17],
      headings: [5, 10],
    };
    const joined = joinPdfParts([
      { text: 'one\n\ntwo', mediaType: 'application/pdf', pageStarts: [0, 5], headings: [5] },
      { text: '', mediaType: 'application/pdf', pageStarts: [] },
      { text: 'three\n\n', mediaType: 'application/pdf', pageStarts: [0, 7], headings: [0] },
    ]);
    expect(joined).toEqual(whole);
    expect(joinPdfParts([])).toEqual({ text: '', mediaType: 'application/pdf', pageStarts: [], headings: [] });
  });
});
