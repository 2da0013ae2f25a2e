import { chunkText } from '../core/chunker.js';
import { toSluiceError, type ErrorCode } from '../core/errors.js';
import type { SplitDocument } from '../ports/splitter.js';
import type { Tokenizer } from '../ports/tokenizer.js';
import { createDocumentParser, type ParserLimits } from './create-document-parser.js';

/** One file to parse and chunk in a parse process. */
export interface SplitTask {
  bytes: Uint8Array;
  source: string;
  limits: ParserLimits;
  chunker: { maxTokens: number; overlapTokens: number };
}

/** What a task reports as it goes: `started` (the time limit counts work, not waiting), then `parsed`. */
export type SplitProgress = 'started' | 'parsed';

/** Errors cross the process boundary as data: serialisation would drop the code. */
export type SplitReply =
  | { ok: true; split: SplitDocument }
  | { ok: false; code: ErrorCode; message: string; retryable: boolean };

/**
 * One per process, loaded on its first chunking (a file failing in its parser never needs its rank
 * tables): chunk limits are counted in cl100k_base, the encoding of the embedding models.
 */
let tokenizer: Promise<Tokenizer> | undefined;
const loadTokenizer = (): Promise<Tokenizer> =>
  (tokenizer ??= import('../tokenizers/cl100k-tokenizer.js').then((m) => m.createCl100kTokenizer()));

/** Parses and chunks one file, reporting its steps. Nothing else runs here, so the chunker need not yield. */
export async function splitFile(task: SplitTask, report: (step: SplitProgress) => void): Promise<SplitReply> {
  report('started');
  try {
    const parsed = await createDocumentParser(task.limits).parse({ bytes: task.bytes, source: task.source });
    report('parsed');
    const chunks = await chunkText(parsed, await loadTokenizer(), task.chunker);
    return { ok: true, split: { mediaType: parsed.mediaType, chunks } };
  } catch (thrown) {
    const error = toSluiceError(thrown);
    return { ok: false, code: error.code, message: error.message, retryable: error.retryable };
  }
}
