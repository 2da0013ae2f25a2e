import type { ParsedDocument } from '../core/types.js';

export interface ParseInput {
  bytes: Uint8Array;
  /** The file name or path, used only as a hint among text formats; content decides. */
  source: string;
}

/** Pages read so far of a paged format's file (PDF): `read` of the `of` pages being read, in a file of `pageCount`. */
export interface PagesRead {
  read: number;
  of: number;
  pageCount: number;
}

export interface ParseOptions {
  signal?: AbortSignal;
  /** Hears the pages read, now and then, for a format read page by page; not called for other formats. */
  onPages?: (pages: PagesRead) => void;
}

/** Extracts text from raw bytes, deciding the format by content. */
export interface DocumentParser {
  /** @remarks throws SluiceError with a permanent code for unsupported or corrupt input; must honour `options.signal`. */
  parse(input: ParseInput, options?: ParseOptions): Promise<ParsedDocument>;
  /** Releases threads or other resources the parser holds. */
  close?(): Promise<void>;
}
