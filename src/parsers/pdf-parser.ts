import { getDocumentProxy } from 'unpdf';
import { SluiceError } from '../core/errors.js';
import type { ParsedDocument } from '../core/types.js';
import { pageSeparator, pagesOfPart, type PdfPart } from './pdf-parts.js';
import { mediaTypes } from './sniff-media-type.js';

/** The slice of pdfjs used here; unpdf's own types lean on pdfjs types it does not ship. */
interface PdfDocument {
  numPages: number;
  getPage(number: number): Promise<PdfPage>;
  destroy(): Promise<void>;
}

/**
 * Pages read from one opening of the document. pdfjs keeps what it parsed of the file's objects (and the
 * fonts it translated) for as long as the document is open; opening the file afresh drops it, so the
 * parser's memory follows this many pages, whatever the page count. Not fewer: each opening parses the
 * fonts again. Measured on half of the R reference manual (1,207 pages, one part of a split read), with
 * pdfjs's caches also dropped every 64 pages and the file opened afresh every 256, the read took 13.6 s
 * of CPU and peaked at 162–206 MB; in one opening, 11.1–11.8 s and 159–161 MB. The heap held after a
 * collection grows by about 27 MB per 1,000 pages read in one opening.
 */
const pagesPerOpening = 2048;

interface PdfPage {
  getTextContent(): Promise<{ items: { str?: string; hasEOL?: boolean }[] }>;
  cleanup(): void;
}

/**
 * Text of a PDF, page by page (pdfjs through unpdf), keeping where each page starts so chunks can cite
 * their page. Pages are released as soon as they are read, and the whole document every
 * `pagesPerOpening` pages.
 *
 * With `part`, only that run of pages is read, its `pageStarts` counted from its own first page: the
 * parts of one file, read in several processes at once and joined by `joinPdfParts`, give the same text
 * as one reading of the whole (pdfjs reads a page's text without the others).
 */
export async function parsePdf(bytes: Uint8Array, signal?: AbortSignal, part: PdfPart = { index: 0, of: 1 }): Promise<ParsedDocument> {
  let pdf = await openPdf(bytes);
  try {
    const parts: string[] = [];
    const pageStarts: number[] = [];
    let length = 0;
    const { first, end } = pagesOfPart(pdf.numPages, part);
    for (let number = first; number < end; number++) {
      // pdfjs without its worker runs on microtasks; yielding a turn per page lets timers (the parse
      // time limit) and other documents' work run, and a cancel stop the loop.
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      const read = number - first;
      if (read % pagesPerOpening === 0 && read > 0) {
        await pdf.destroy();
        pdf = await openPdf(bytes);
      }
      const page = await pdf.getPage(number);
      const content = await page.getTextContent();
      let pageText = '';
      for (const item of content.items) {
        pageText += (item.str ?? '') + (item.hasEOL ? '\n' : '');
      }
      page.cleanup();
      const separator = number === first ? '' : pageSeparator;
      pageStarts.push(length + separator.length);
      parts.push(separator, pageText);
      length += separator.length + pageText.length;
    }
    return { text: parts.join(''), mediaType: mediaTypes.pdf, pageStarts };
  } catch (error) {
    if (signal?.aborted) {
      throw error;
    }
    throw translatePdfError(error);
  } finally {
    await pdf.destroy();
  }
}

async function openPdf(bytes: Uint8Array): Promise<PdfDocument> {
  try {
    // pdfjs takes ownership of (and detaches) the buffer it is given; hand it a copy.
    const proxy: unknown = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false, stopAtErrors: false, verbosity: 0 });
    return proxy as PdfDocument;
  } catch (error) {
    throw translatePdfError(error);
  }
}

function translatePdfError(error: unknown): SluiceError {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'PasswordException') {
    return new SluiceError('encrypted_file', 'The PDF is password-protected', { cause: error });
  }
  return new SluiceError('corrupt_file', `The PDF cannot be read: ${message}`, { cause: error });
}
