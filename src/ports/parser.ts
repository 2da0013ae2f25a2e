import type { ParsedDocument } from '../core/types.js';

export interface ParseInput {
  bytes: Uint8Array;
  /** The file name or path, used only as a hint among text formats; content decides. */
  source: string;
}

/** Extracts text from raw bytes, deciding the format by content. */
export interface DocumentParser {
  /** @remarks throws SluiceError with a permanent code for unsupported or corrupt input; must honour `signal`. */
  parse(input: ParseInput, signal?: AbortSignal): Promise<ParsedDocument>;
  /** Releases threads or other resources the parser holds. */
  close?(): Promise<void>;
}
