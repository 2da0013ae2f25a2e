import type { Pdfium } from './pdfium.js';

/** One entry of a PDF's outline (its bookmarks): a title and the page it points at (0-based). */
export interface OutlineEntry {
  title: string;
  page: number;
}

/** Outlines beyond this are not read: a malformed file may loop or hold millions of entries. */
const maxEntries = 20_000;
const maxDepth = 32;

/**
 * The outline's entries that point at a page, depth first (the order a reader sees them), or none when
 * the file has no outline. Entries already seen end a branch, so a cyclic outline ends too.
 */
export function readOutline(pdfium: Pdfium, document: number): OutlineEntry[] {
  const entries: OutlineEntry[] = [];
  const seen = new Set<number>();
  const walk = (parent: number, depth: number): void => {
    for (
      let item = pdfium.FPDFBookmark_GetFirstChild(document, parent);
      // Every entry walked counts toward the bound, those without a title or a page too.
      item !== 0 && !seen.has(item) && seen.size < maxEntries;
      item = pdfium.FPDFBookmark_GetNextSibling(document, item)
    ) {
      seen.add(item);
      const page = pageOf(pdfium, document, item);
      const title = titleOf(pdfium, item);
      if (page >= 0 && title !== '') {
        entries.push({ title, page });
      }
      if (depth < maxDepth) {
        walk(item, depth + 1);
      }
    }
  };
  walk(0, 0);
  return entries;
}

function pageOf(pdfium: Pdfium, document: number, bookmark: number): number {
  let dest = pdfium.FPDFBookmark_GetDest(document, bookmark);
  if (dest === 0) {
    const action = pdfium.FPDFBookmark_GetAction(bookmark);
    dest = action === 0 ? 0 : pdfium.FPDFAction_GetDest(document, action);
  }
  return dest === 0 ? -1 : pdfium.FPDFDest_GetDestPageIndex(document, dest);
}

function titleOf(pdfium: Pdfium, bookmark: number): string {
  // UTF-16LE with a terminating NUL; the first call says how many bytes.
  const bytes = pdfium.FPDFBookmark_GetTitle(bookmark, 0, 0);
  if (bytes <= 2 || bytes > 4096) {
    return '';
  }
  const buffer = pdfium.pdfium.wasmExports.malloc(bytes);
  try {
    pdfium.FPDFBookmark_GetTitle(bookmark, buffer, bytes);
    const heap = pdfium.pdfium.HEAPU8;
    return Buffer.from(heap.buffer, heap.byteOffset + buffer, bytes - 2)
      .toString('utf16le')
      .replace(/\s+/g, ' ')
      .trim();
  } finally {
    pdfium.pdfium.wasmExports.free(buffer);
  }
}

/** A section number before a title on the page (`2.1`, `A.3.`, `IV`) that the outline may leave out. */
const sectionNumber = /^(?:[0-9]{1,3}|[A-Z]{1,4})(?:\.[0-9]{1,3})*\.?\s+/;

const collapsed = (text: string): string => text.replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * Where on a page its outline's titles stand as headings: the start of the first line, at or after the
 * previous title's, that reads as the title alone (spaces and case aside, over up to three lines, with
 * or without a section number before it). A title the page does not show gives no heading; a sentence
 * that merely begins with a title's words is not one.
 */
export function headingsOnPage(text: string, titles: readonly string[]): number[] {
  const lineStarts = [0];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
    lineStarts.push(at + 1);
  }
  const lineAt = (i: number): string => text.slice(lineStarts[i], (lineStarts[i + 1] ?? text.length + 1) - 1);
  const found: number[] = [];
  let from = 0;
  for (const title of titles) {
    const wanted = collapsed(title);
    for (let i = from; i < lineStarts.length; i++) {
      // The first line read as it stands, and without a section number where one leads it.
      const first = collapsed(lineAt(i));
      const unnumbered = collapsed(lineAt(i).trim().replace(sectionNumber, ''));
      const readings = unnumbered !== first && unnumbered !== '' ? [first, unnumbered] : [first];
      let matched = false;
      for (const reading of readings) {
        let shown = reading;
        for (let j = i + 1; !matched && shown.length < wanted.length && j < Math.min(i + 3, lineStarts.length); j++) {
          shown = collapsed(`${shown} ${lineAt(j)}`);
        }
        matched ||= shown === wanted;
      }
      if (matched) {
        found.push(lineStarts[i] as number);
        from = i + 1;
        break;
      }
    }
  }
  return found;
}
