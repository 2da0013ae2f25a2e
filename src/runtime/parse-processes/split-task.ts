/**
 * What a parse process does with one task (see `parse-process-main.ts`, its entry point): parse a file,
 * or a run of a large PDF's pages, and chunk the text.
 */
import { chunkText } from '../../core/chunker.js';
import { toSluiceError, type ErrorCode } from '../../core/errors.js';
import type { Chunk, ParsedDocument } from '../../core/types.js';
import { collectReleasedMemory } from '../../parsers/collect-released-memory.js';
import { createDocumentParser, parsePdfPart, type ParserLimits } from '../../parsers/create-document-parser.js';
import type { PdfPart } from '../../parsers/pdf-parts.js';
import type { PagesRead } from '../../ports/parser.js';
import type { SplitDocument } from '../../ports/splitter.js';
import type { Tokenizer } from '../../ports/tokenizer.js';

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

/**
 * What each kind of task answers with. A file's and a text's chunks are not in the answer: they go ahead
 * of it, a slice at a time (the `chunks` messages of `parse-process-messages.ts`).
 */
export interface SplitResults {
  file: Pick<SplitDocument, 'mediaType'>;
  'pdf-part': ParsedDocument;
  chunk: Record<string, never>;
}

/** What a task reports as it goes: `started` (the time limit counts work, not waiting), then, for a file, `parsed`. */
export type SplitProgress = 'started' | 'parsed';

/** Takes the task's chunks, a slice at a time in text order, and resolves once the slice is on its way. */
export type ChunkSink = (chunks: Chunk[]) => Promise<void>;

/** Where a task's news goes: its steps, the pages a paged file has had read, its chunks. */
export interface TaskReports {
  step: (step: SplitProgress) => void;
  pages: (pages: PagesRead) => void;
  chunks: ChunkSink;
}

/**
 * Chunks per slice sent. A reply holding all of a large file's chunks is a buffer of its size in each
 * process, and in the receiving one also the pieces it arrived in, all kept until the last byte is there:
 * long enough for V8 to move them to the old generation, where they stay until a full collection. Slices
 * of a few hundred kilobytes are collected young, and the peak is lower (measured in BENCH.md).
 */
const chunksPerSlice = 128;

/** Errors cross the process boundary as data: serialisation would drop the code. */
export type SplitReply<T = unknown> =
  { ok: true; value: T } | { ok: false; code: ErrorCode; message: string; retryable: boolean };

/**
 * One per process, loaded on its first chunking (a file failing in its parser never needs its rank
 * tables): chunk limits are counted in cl100k_base, the encoding of the embedding models.
 */
let tokenizer: Promise<Tokenizer> | undefined;
const loadTokenizer = (): Promise<Tokenizer> =>
  (tokenizer ??= import('../../tokenizers/cl100k-tokenizer.js').then((m) => m.createCl100kTokenizer()));

/** Runs one task, reporting its steps. Nothing else runs in a parse process, so the chunker need not yield. */
export async function runSplitTask(task: SplitTask, reports: TaskReports): Promise<SplitReply> {
  reports.step('started');
  try {
    return { ok: true, value: await runTask(task, reports) };
  } catch (thrown) {
    const error = toSluiceError(thrown);
    return { ok: false, code: error.code, message: error.message, retryable: error.retryable };
  }
}

async function runTask(task: SplitTask, reports: TaskReports): Promise<SplitResults[SplitTask['kind']]> {
  switch (task.kind) {
    case 'file': {
      const parsed = await createDocumentParser(task.limits).parse(
        { bytes: task.bytes, source: task.source },
        { onPages: reports.pages },
      );
      reports.step('parsed');
      // A large PDF's reader is done with: its memory goes before the text's tokens take theirs.
      await collectReleasedMemory();
      await sendInSlices(await chunkText(parsed, await loadTokenizer(), task.chunker), reports.chunks);
      return { mediaType: parsed.mediaType };
    }
    case 'pdf-part': {
      const parsed = await parsePdfPart(task.limits, task.bytes, task.part, { onPages: reports.pages });
      await collectReleasedMemory();
      return parsed;
    }
    case 'chunk':
      await sendInSlices(await chunkText(task.parsed, await loadTokenizer(), task.chunker), reports.chunks);
      return {};
  }
}

/** One slice on its way at a time: the next is serialised once the last is written. */
async function sendInSlices(chunks: Chunk[], sendChunks: ChunkSink): Promise<void> {
  for (let start = 0; start < chunks.length; start += chunksPerSlice) {
    await sendChunks(chunks.slice(start, start + chunksPerSlice));
  }
}
