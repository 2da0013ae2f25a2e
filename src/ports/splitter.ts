import type { Chunk } from '../core/types.js';
import type { ParseInput } from './parser.js';

/** A file made ready to embed: its format and its chunks, in text order. */
export interface SplitDocument {
  mediaType: string;
  chunks: Chunk[];
}

export interface SplitOptions {
  signal?: AbortSignal;
  /** Called once the file is parsed, as chunking begins (the document's `chunking` stage). */
  onParsed?: () => void;
  /**
   * Hears how many of a paged file's pages (PDF) are read, now and then while it is parsed, however
   * many processes read it; not called for other formats.
   */
  onPages?: (pages: { read: number; total: number }) => void;
}

/**
 * Parses a file and cuts its text into token chunks. Where that runs is the adapter's business: in
 * this thread, or in a sandboxed pool of threads where a hostile file costs one thread, and where
 * tokenising (most of an ingest's CPU) leaves the main thread free for HTTP, job locks and writes.
 */
export interface DocumentSplitter {
  /** @remarks throws SluiceError with a permanent code for unsupported, corrupt or empty-of-text input. */
  split(input: ParseInput, options?: SplitOptions): Promise<SplitDocument>;
  /** Releases threads or other resources the splitter holds. */
  close?(): Promise<void>;
}
