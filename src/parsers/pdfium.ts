import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { init } from '@embedpdf/pdfium';
import { noteReleasedMemory } from './collect-released-memory.js';

/** The slice of PDFium (the C API, as @embedpdf/pdfium wraps it) that text and outline extraction need. */
export interface Pdfium {
  FPDF_LoadMemDocument(data: number, size: number, password: string): number;
  FPDF_GetLastError(): number;
  FPDF_GetPageCount(document: number): number;
  FPDF_LoadPage(document: number, index: number): number;
  FPDF_ClosePage(page: number): void;
  FPDF_CloseDocument(document: number): void;
  FPDFText_LoadPage(page: number): number;
  FPDFText_CountChars(textPage: number): number;
  FPDFText_GetText(textPage: number, start: number, count: number, buffer: number): number;
  FPDFText_ClosePage(textPage: number): void;
  FPDFBookmark_GetFirstChild(document: number, bookmark: number): number;
  FPDFBookmark_GetNextSibling(document: number, bookmark: number): number;
  FPDFBookmark_GetTitle(bookmark: number, buffer: number, length: number): number;
  FPDFBookmark_GetDest(document: number, bookmark: number): number;
  FPDFBookmark_GetAction(bookmark: number): number;
  FPDFAction_GetDest(document: number, action: number): number;
  FPDFDest_GetDestPageIndex(document: number, dest: number): number;
  // WebAssembly exports: plain functions, with no `this`.
  pdfium: { HEAPU8: Uint8Array; wasmExports: { malloc: (size: number) => number; free: (pointer: number) => void } };
}

/** PDFium's `FPDF_GetLastError` codes that name a cause the caller can act on. */
export const pdfiumErrors = { password: 4, security: 6 } as const;

/**
 * Above this much WebAssembly memory, the instance is dropped after its document, so the memory goes
 * back when it is collected: a WebAssembly memory grows but never shrinks, and one large PDF should not
 * leave a process holding what it needed (the R reference manual takes it past this mark; BENCH.md).
 * Below it, the instance and its compiled code are kept for the next file.
 */
const keepInstanceBelowBytes = 24 * 1024 * 1024;

let instance: Promise<Pdfium> | undefined;

/**
 * The process's PDFium instance, made on first use: the WebAssembly module is compiled from the file the
 * package ships, never fetched, which costs the first PDF a moment (measured in BENCH.md).
 */
export function loadPdfium(): Promise<Pdfium> {
  instance ??= (async () => {
    const wasmBinary = await readFile(createRequire(import.meta.url).resolve('@embedpdf/pdfium/pdfium.wasm'));
    const globalsBefore = new Set(Reflect.ownKeys(globalThis));
    try {
      const module = (await init({ wasmBinary: wasmBinary as unknown as ArrayBuffer })) as unknown as Pdfium & {
        PDFiumExt_Init(): void;
      };
      module.PDFiumExt_Init();
      return module;
    } finally {
      removeGlobalsSince(globalsBefore);
    }
  })();
  // A failed start is not kept: the next file tries again.
  instance.catch(() => {
    instance = undefined;
  });
  return instance;
}

/**
 * The package's build (Emscripten with assertions) puts a warning getter on the global object for each of
 * some hundreds of runtime symbols it leaves out. Those getters close over the first instance made in the
 * process, and held it, and its WebAssembly memory, for as long as the process lived: dropping an instance
 * gave nothing back. They are taken off again, and a dropped instance's memory returns once V8 has
 * collected it (measured in BENCH.md).
 */
function removeGlobalsSince(before: Set<string | symbol>): void {
  for (const key of Reflect.ownKeys(globalThis)) {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, key);
    // Only getters: a value some other code set meanwhile is left alone.
    if (!before.has(key) && descriptor?.configurable === true && typeof descriptor.get === 'function') {
      Reflect.deleteProperty(globalThis, key);
    }
  }
}

/** Bytes of WebAssembly memory `pdfium` holds now. */
export const pdfiumMemoryBytes = (pdfium: Pdfium): number => pdfium.pdfium.HEAPU8.byteLength;

/**
 * After a document: an instance that trapped (an `abort` leaves its heap in an unknown state) or grew
 * past `keepInstanceBelowBytes` is let go, and the next file gets a fresh one.
 */
export function releasePdfium(pdfium: Pdfium, { trapped }: { trapped: boolean }): void {
  if (trapped || pdfiumMemoryBytes(pdfium) > keepInstanceBelowBytes) {
    instance = undefined;
    noteReleasedMemory();
  }
}
