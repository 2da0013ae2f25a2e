import { withoutControls } from './without-controls.js';
import { getHeapStatistics } from 'node:v8';
import { SluiceError } from '../core/errors.js';
import type { ParsedDocument } from '../core/types.js';
import type { ParseOptions } from '../ports/parser.js';
import { headingsOnPage, readOutline, type OutlineEntry } from './pdf-outline.js';
import { pageSeparator, pagesOfPart, type PdfPart } from './pdf-parts.js';
import { loadPdfium, pdfiumErrors, pdfiumMemoryBytes, releasePdfium, type Pdfium } from './pdfium.js';
import { mediaTypes } from './sniff-media-type.js';

/**
 * Pages read from one opening of the document. PDFium keeps the objects it parsed until the document is
 * closed, and WebAssembly memory, once grown, stays grown: a long book opened afresh every 1,000 pages
 * grows it less, in as long, and fewer pages per opening gave no less (measured in BENCH.md).
 */
const pagesPerOpening = 1000;

/** Pages read are reported at most this often: progress for people to watch, not a message per page. */
const pagesReportMs = 250;

/**
 * Text of a PDF, page by page (PDFium, compiled to WebAssembly), keeping where each page starts so chunks
 * can cite their page. Each page is closed as soon as its text is read.
 *
 * With `part`, only that run of pages is read, its `pageStarts` counted from its own first page: the
 * parts of one file, read in several processes at once and joined by `joinPdfParts`, give the same text
 * as one reading of the whole (a page's text does not depend on the others).
 *
 * PDFium rather than pdfjs: it reads a large book faster and in less memory, and the benchmark corpus
 * ingests faster (measured in BENCH.md, "The goals, as measured on 2026-12-05 (PDFium…)").
 */
export async function parsePdf(
  bytes: Uint8Array,
  { signal, part = { index: 0, of: 1 }, onPages }: ParseOptions & { part?: PdfPart } = {},
): Promise<ParsedDocument> {
  const pdfium = await loadPdfium();
  const { malloc, free } = pdfium.pdfium.wasmExports;
  // Like the JavaScript heap, PDFium's memory is bounded: in a parse process by the same limit, so a
  // file that inflates without end fails on its own instead of taking the machine's memory.
  const memoryLimit = getHeapStatistics().heap_size_limit;
  let trapped = false;
  // 0 until allocated: freeing 0 does nothing, so the cleanup below holds wherever this fails.
  let file = 0;
  let document = 0;
  try {
    // Inside the try: an allocation PDFium cannot make may trap, and is then handled as any other trap.
    file = malloc(bytes.byteLength);
    if (file === 0) {
      throw new SluiceError('file_too_large', `Reading the PDF needs more memory than the parser may take`);
    }
    pdfium.pdfium.HEAPU8.set(bytes, file);
    const open = (): number => {
      const opened = pdfium.FPDF_LoadMemDocument(file, bytes.byteLength, '');
      if (opened === 0) {
        throw openError(pdfium.FPDF_GetLastError());
      }
      return opened;
    };
    document = open();
    const pageCount = pdfium.FPDF_GetPageCount(document);
    if (pageCount <= 0) {
      throw new SluiceError('corrupt_file', 'The PDF cannot be read: it has no pages');
    }
    const texts: string[] = [];
    const pageStarts: number[] = [];
    const headings: number[] = [];
    let length = 0;
    const { first, end } = pagesOfPart(pageCount, part);
    const titlesByPage = titlesOfPages(readOutline(pdfium, document), first - 1, end - 1);
    const report = (read: number): void => onPages?.({ read, of: end - first, pageCount });
    let reportedAt = performance.now();
    report(0);
    for (let number = first; number < end; number++) {
      // Each page is one synchronous call: yielding a turn between pages lets timers (the parse time
      // limit) and other documents' work run, and a cancel stop the loop.
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      const read = number - first;
      if (read > 0 && read % pagesPerOpening === 0) {
        pdfium.FPDF_CloseDocument(document);
        // Closed: not to be closed again below if opening it afresh fails.
        document = 0;
        document = open();
      }
      const pageText = withoutControls(readPage(pdfium, document, number - 1));
      if (pdfiumMemoryBytes(pdfium) > memoryLimit) {
        throw new SluiceError(
          'file_too_large',
          `Reading the PDF needed more than the parser's ${Math.round(memoryLimit / 1048576)} MiB of memory`,
        );
      }
      const separator = number === first ? '' : pageSeparator;
      pageStarts.push(length + separator.length);
      for (const at of headingsOnPage(pageText, titlesByPage.get(number - 1) ?? [])) {
        headings.push(length + separator.length + at);
      }
      texts.push(separator, pageText);
      length += separator.length + pageText.length;
      if (onPages && performance.now() - reportedAt >= pagesReportMs) {
        reportedAt = performance.now();
        report(read + 1);
      }
    }
    report(end - first);
    return { text: texts.join(''), mediaType: mediaTypes.pdf, pageStarts, headings };
  } catch (error) {
    if (error instanceof SluiceError || signal?.aborted) {
      throw error;
    }
    // A WebAssembly trap (PDFium's abort on a file it cannot cope with): this instance is done.
    trapped = true;
    throw new SluiceError(
      'corrupt_file',
      `The PDF cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  } finally {
    if (!trapped) {
      if (document !== 0) {
        pdfium.FPDF_CloseDocument(document);
      }
      free(file);
    }
    releasePdfium(pdfium, { trapped });
  }
}

/**
 * One page's text. PDFium ends lines with CRLF and marks a hyphen it took out at a line's end (a word
 * broken across lines) with U+FFFE: the lines become LF, and the word whole again.
 */
function readPage(pdfium: Pdfium, document: number, index: number): string {
  const page = pdfium.FPDF_LoadPage(document, index);
  if (page === 0) {
    // A page PDFium cannot load has no text to give; the others still do.
    return '';
  }
  const textPage = pdfium.FPDFText_LoadPage(page);
  try {
    if (textPage === 0) {
      return '';
    }
    const count = pdfium.FPDFText_CountChars(textPage);
    if (count <= 0) {
      return '';
    }
    // UTF-16 code units, and PDFium's terminating NUL.
    const buffer = pdfium.pdfium.wasmExports.malloc((count + 1) * 2);
    try {
      const written = pdfium.FPDFText_GetText(textPage, 0, count, buffer);
      const heap = pdfium.pdfium.HEAPU8;
      const text = Buffer.from(heap.buffer, heap.byteOffset + buffer, Math.max(0, written - 1) * 2).toString('utf16le');
      return text.replace(/\r\n?/g, '\n').replaceAll('\uFFFE', '');
    } finally {
      pdfium.pdfium.wasmExports.free(buffer);
    }
  } finally {
    if (textPage !== 0) {
      pdfium.FPDFText_ClosePage(textPage);
    }
    pdfium.FPDF_ClosePage(page);
  }
}

/** The outline's titles of each page from `first` up to `end` (0-based), in outline order. */
function titlesOfPages(outline: readonly OutlineEntry[], first: number, end: number): Map<number, string[]> {
  const byPage = new Map<number, string[]>();
  for (const { title, page } of outline) {
    if (page >= first && page < end) {
      const titles = byPage.get(page) ?? [];
      titles.push(title);
      byPage.set(page, titles);
    }
  }
  return byPage;
}

function openError(code: number): SluiceError {
  if (code === pdfiumErrors.password || code === pdfiumErrors.security) {
    return new SluiceError('encrypted_file', 'The PDF is password-protected');
  }
  return new SluiceError('corrupt_file', `The PDF cannot be read (PDFium error ${code})`);
}
