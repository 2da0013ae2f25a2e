import { chunkText } from '../core/chunker.js';
import { toSluiceError, type ErrorCode } from '../core/errors.js';
import type { Chunk, ParsedDocument } from '../core/types.js';
import type { SplitDocument } from '../ports/splitter.js';
import type { Tokenizer } from '../ports/tokenizer.js';
import { createDocumentParser, parsePdfPart, type ParserLimits } from './create-document-parser.js';
import type { PdfPart } from './pdf-parts.js';

export interface ChunkerLimits {
  maxTokens: number;
  overlapTokens: number;
}

/**
 * Work for a parse process: a whole file (parse, then chunk); one run of a large PDF's pages, parsed
 * beside the file's other runs in other processes; or the text those runs make, to chunk.
 */
export type SplitTask =
  | { kind: 'file'; bytes: Uint8Array; source: string; limits: ParserLimits; chunker: ChunkerLimits }
  | { kind: 'pdf-part'; bytes: Uint8Array; source: string; limits: ParserLimits; part: PdfPart }
  | { kind: 'chunk'; parsed: ParsedDocument; chunker: ChunkerLimits };

/** What each kind of task answers with. */
export interface SplitResults {
  file: SplitDocument;
  'pdf-part': ParsedDocument;
  chunk: Chunk[];
}

/** What a task reports as it goes: `started` (the time limit counts work, not waiting), then, for a file, `parsed`. */
export type SplitProgress = 'started' | 'parsed';

/** Errors cross the process boundary as data: serialisation would drop the code. */
export type SplitReply<T = unknown> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string; retryable: boolean };

/**
 * One per process, loaded on its first chunking (a file failing in its parser never needs its rank
 * tables): chunk limits are counted in cl100k_base, the encoding of the embedding models.
 */
let tokenizer: Promise<Tokenizer> | undefined;
const loadTokenizer = (): Promise<Tokenizer> =>
  (tokenizer ??= import('../tokenizers/cl100k-tokenizer.js').then((m) => m.createCl100kTokenizer()));

/** Runs one task, reporting its steps. Nothing else runs here, so the chunker need not yield. */
export async function splitFile(task: SplitTask, report: (step: SplitProgress) => void): Promise<SplitReply> {
  report('started');
  try {
    return { ok: true, value: await run(task, report) };
  } catch (thrown) {
    const error = toSluiceError(thrown);
    return { ok: false, code: error.code, message: error.message, retryable: error.retryable };
  }
}

async function run(task: SplitTask, report: (step: SplitProgress) => void): Promise<SplitResults[SplitTask['kind']]> {
  switch (task.kind) {
    case 'file': {
      const parsed = await createDocumentParser(task.limits).parse({ bytes: task.bytes, source: task.source });
      report('parsed');
      return { mediaType: parsed.mediaType, chunks: await chunkText(parsed, await loadTokenizer(), task.chunker) };
    }
    case 'pdf-part':
      return parsePdfPart(task.limits, task.bytes, task.part);
    case 'chunk':
      return chunkText(task.parsed, await loadTokenizer(), task.chunker);
  }
}
