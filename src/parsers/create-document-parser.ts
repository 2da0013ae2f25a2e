import { SluiceError } from '../core/errors.js';
import type { ParsedDocument } from '../core/types.js';
import type { DocumentParser, PagesRead, ParseOptions } from '../ports/parser.js';
import type { PdfPart } from './pdf-parts.js';
import { markdownOutline } from '../core/markdown-headings.js';
import { decodeText } from './decode-text.js';
import { mediaTypes, sniffMediaType } from './sniff-media-type.js';

export interface ParserLimits {
  /** Largest file accepted, in bytes. */
  maxFileBytes: number;
  /** Longest a parse may take before it fails with `parse_timeout`. */
  parseTimeoutMs: number;
  /** Indexes text that is not prose (SVG, XPM, style sheets, source maps) as plain text, rather than refusing it. */
  nonProse?: boolean;
}

/** The parser registry: sniffs the format from the bytes, runs that format's parser, checks the result. */
export function createDocumentParser(limits: ParserLimits): DocumentParser {
  return {
    async parse({ bytes, source }, { signal, onPages }: ParseOptions = {}) {
      if (bytes.byteLength > limits.maxFileBytes) {
        throw new SluiceError(
          'file_too_large',
          `The file is ${bytes.byteLength} bytes; the limit is ${limits.maxFileBytes}`,
        );
      }
      if (bytes.byteLength === 0) {
        throw new SluiceError('empty_document', 'The file is empty');
      }
      const mediaType = await sniffMediaType(bytes, source, { nonProse: limits.nonProse === true });
      const parsed = await withTimeout(
        (bounded) => parseAs(mediaType, bytes, limits, bounded, onPages),
        limits.parseTimeoutMs,
        signal,
      );
      if (parsed.text.trim() === '') {
        throw new SluiceError('empty_document', `The ${mediaType} file holds no text`);
      }
      return parsed;
    },
  };
}

/**
 * One run of a PDF's pages (see `parsePdf`), under the time limit of a whole file. The caller has
 * checked the file's size and that it is a PDF, and checks the joined text for emptiness.
 */
export async function parsePdfPart(
  limits: ParserLimits,
  bytes: Uint8Array,
  part: PdfPart,
  { signal, onPages }: ParseOptions = {},
): Promise<ParsedDocument> {
  const { parsePdf } = await import('./pdf-parser.js');
  return withTimeout(
    (bounded) => parsePdf(bytes, { signal: bounded, part, ...(onPages ? { onPages } : {}) }),
    limits.parseTimeoutMs,
    signal,
  );
}

/**
 * Each format's parser loads on first use: a parse process holds only the libraries of the formats it
 * has met, and some are large (mammoth; PDFium's WebAssembly once it opens a file; measured in BENCH.md).
 */
async function parseAs(
  mediaType: string,
  bytes: Uint8Array,
  limits: ParserLimits,
  signal: AbortSignal,
  onPages: ((pages: PagesRead) => void) | undefined,
): Promise<ParsedDocument> {
  switch (mediaType) {
    case mediaTypes.pdf:
      return (await import('./pdf-parser.js')).parsePdf(bytes, { signal, ...(onPages ? { onPages } : {}) });
    case mediaTypes.docx:
      return (await import('./docx-parser.js')).parseDocx(bytes, { maxExpandedBytes: limits.maxFileBytes * 4 });
    case mediaTypes.html: {
      const { title, ...structure } = (await import('./html-to-text.js')).htmlToText(decodeText(bytes));
      return title ? { ...structure, title, mediaType } : { ...structure, mediaType };
    }
    case mediaTypes.csv:
      return (await import('./csv-parser.js')).parseCsv(decodeText(bytes));
    case mediaTypes.json:
      return (await import('./json-parser.js')).parseJson(decodeText(bytes));
    case mediaTypes.markdown: {
      const text = decodeText(bytes);
      return { text, mediaType, ...markdownOutline(text) };
    }
    default:
      return { text: decodeText(bytes), mediaType };
  }
}

/**
 * Bounds a parse in time: on expiry the document fails with `parse_timeout` and the parser's signal is
 * aborted, so a parser that yields between steps (the PDF parser does, page by page) stops working too.
 * A parser stuck in one synchronous step cannot be interrupted in-process; the timer fires after it.
 */
function withTimeout<T>(
  work: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new SluiceError('parse_timeout', `Parsing took longer than ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    const onAbort = (): void => {
      controller.abort(signal?.reason);
      reject(signal?.reason instanceof Error ? signal.reason : new SluiceError('cancelled', 'Cancelled'));
    };
    if (signal?.aborted) {
      onAbort();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    void work(controller.signal)
      .then(resolve, reject)
      .finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      });
  });
}
