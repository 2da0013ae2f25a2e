/**
 * A PDF's pages in parts, for reading one large file in several parse processes at once. Apart from the
 * parser itself, so that the process joining the parts never loads PDFium.
 */
import type { ParsedDocument } from '../core/types.js';
import { mediaTypes } from './media-types.js';

/** Between two pages' text: a paragraph break, so no chunk runs one page's last word into the next's first. */
export const pageSeparator = '\n\n';

/** One of `of` consecutive runs of a PDF's pages, as even as the page count allows. */
export interface PdfPart {
  index: number;
  of: number;
}

/** The first page and the page after the last of `part` in a document of `pageCount` pages (1-based). */
export function pagesOfPart(pageCount: number, part: PdfPart): { first: number; end: number } {
  return {
    first: Math.floor((part.index * pageCount) / part.of) + 1,
    end: Math.floor(((part.index + 1) * pageCount) / part.of) + 1,
  };
}

/** The parts of one PDF, in page order, as one document: what `parsePdf` gives for the whole file. */
export function joinPdfParts(parts: readonly ParsedDocument[]): ParsedDocument {
  const texts: string[] = [];
  const pageStarts: number[] = [];
  const headings: number[] = [];
  let length = 0;
  for (const part of parts) {
    const starts = part.pageStarts ?? [];
    if (starts.length === 0) {
      continue;
    }
    const separator = texts.length === 0 ? '' : pageSeparator;
    texts.push(separator, part.text);
    for (const start of starts) {
      pageStarts.push(length + separator.length + start);
    }
    for (const at of part.headings ?? []) {
      headings.push(length + separator.length + at);
    }
    length += separator.length + part.text.length;
  }
  return { text: texts.join(''), mediaType: mediaTypes.pdf, pageStarts, headings };
}
