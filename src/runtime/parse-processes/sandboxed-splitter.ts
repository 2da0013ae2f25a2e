import { SluiceError } from '../../core/errors.js';
import type { Chunk } from '../../core/types.js';
import type { ParserLimits } from '../../parsers/create-document-parser.js';
import { mediaTypes } from '../../parsers/media-types.js';
import { joinPdfParts } from '../../parsers/pdf-parts.js';
import type { Logger } from '../../ports/logger.js';
import type { PagesRead, ParseInput } from '../../ports/parser.js';
import type { DocumentSplitter, SplitDocument, SplitOptions } from '../../ports/splitter.js';
import { createParseProcessPool, type ParseProcessPool, type PoolJob } from './parse-process-pool.js';
import type { SplitProgress, SplitResults, SplitTask } from './split-task.js';

export interface SandboxOptions extends ParserLimits {
  /** Parse processes at most; each is started on first need and then kept. */
  processes: number;
  /** Heap limit of each parse process, in MiB. */
  maxHeapMb: number;
  /**
   * How much lower than this process the parse processes are scheduled (nice, 0–19). When parsing
   * fills every CPU, the thread that answers uploads and publishes chunks goes first: many more uploads
   * get through while an ingest runs, and the ingest takes as long (`bench/upload-latency.js`, measured
   * in BENCH.md). @defaultValue 0
   */
  nice?: number;
  chunker: { maxTokens: number; overlapTokens: number };
  /**
   * A process whose resident memory is above this after a file is replaced rather than kept: V8 does
   * not give back the heap a 2,000-page PDF grew, and an idle pool should not hold it. @defaultValue 160
   */
  recycleAboveMb?: number;
  /**
   * An idle process exits after this long without a file: V8 keeps the heap its last files grew, and a
   * pool with nothing to do should hand that back (a process sitting idle beside the one reading the
   * largest PDF put an ingest's peak well above its goal; measured in BENCH.md). The next file starts a
   * new one, which costs a fraction of a second. @defaultValue 5000
   */
  idleTimeoutMs?: number;
  /**
   * A PDF of at least this many bytes is read in parts, one per process, at once (see
   * `splitPdfInParts`); a smaller one costs less whole than its parts' extra openings and memory.
   * 0: never. @defaultValue 16 MiB
   */
  splitPdfAboveBytes?: number;
  logger: Logger;
}

/** A PDF's header (`%PDF-`) at its start, as file-type looks for it: a cheap test, before any parser loads. */
function startsAsPdf(bytes: Uint8Array): boolean {
  return (
    bytes.length > 5 &&
    bytes[0] === 0x25 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x44 &&
    bytes[3] === 0x46 &&
    bytes[4] === 0x2d
  );
}

/**
 * How long past the time limit a process may take to stop by itself: parsers that yield (PDF, page by
 * page) stop cleanly at the limit and keep their process; one stuck in a synchronous step is killed.
 * Never more than the limit itself, so a short limit stays short.
 */
const hardStopGraceMs = (limitMs: number): number => Math.min(1000, limitMs);

/** An abort reason as an Error (AbortSignal's reason may be anything). */
const asError = (reason: unknown): Error => (reason instanceof Error ? reason : new Error(String(reason)));

/** How a task is run: its caller's signal, and which of its steps start work under the time limit. */
interface RunOptions {
  source: string;
  signal?: AbortSignal;
  /** The work each step starts (`started` → parsing, say, `parsed` → chunking); each restarts the time limit. */
  labels: Partial<Record<SplitProgress, string>>;
  /** Hears the process's steps. */
  onStep?: (step: SplitProgress) => void;
  /** Hears the pages the process has read of a paged file. */
  onPages?: (pages: PagesRead) => void;
}

/** Runs one task in the pool, to its answer and the chunks that came ahead of it. */
type RunTask = <K extends SplitTask['kind']>(
  task: Extract<SplitTask, { kind: K }>,
  options: RunOptions,
) => Promise<{ value: SplitResults[K]; chunks: Chunk[] }>;

/**
 * Runs tasks in `pool` under the time limit of each step, counted from when the process starts it, and
 * turns a process lost mid-task into the task's error.
 */
function createTaskRunner(
  pool: ParseProcessPool,
  { limits, maxHeapMb, logger }: { limits: ParserLimits; maxHeapMb: number; logger: Logger },
): RunTask {
  let nextId = 0;
  return <K extends SplitTask['kind']>(
    task: Extract<SplitTask, { kind: K }>,
    { source, signal, labels, onStep, onPages }: RunOptions,
  ): Promise<{ value: SplitResults[K]; chunks: Chunk[] }> =>
    new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const chunks: Chunk[] = [];
      /** Why the job was stopped from here (time limit, cancel), if it was. */
      let stopped: Error | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const stop = (reason: Error): void => {
        stopped ??= reason;
        if (job.child) {
          job.child.kill('SIGKILL');
          return;
        }
        pool.withdraw(job);
        finish();
        reject(reason);
      };
      const onAbort = (): void => stop(asError(signal?.reason));
      const job: PoolJob = {
        message: { id: nextId++, task },
        step(step) {
          const work = labels[step];
          if (work !== undefined) {
            clearTimeout(timer);
            timer = setTimeout(
              () => stop(new SluiceError('parse_timeout', `${work} took longer than ${limits.parseTimeoutMs} ms`)),
              limits.parseTimeoutMs + hardStopGraceMs(limits.parseTimeoutMs),
            );
          }
          onStep?.(step);
        },
        pages(pages) {
          onPages?.(pages);
        },
        chunks(slice) {
          for (const chunk of slice) {
            chunks.push(chunk);
          }
        },
        done(reply) {
          finish();
          if (reply.ok) {
            resolve({ value: reply.value as SplitResults[K], chunks });
          } else {
            reject(new SluiceError(reply.code, reply.message, { retryable: reply.retryable }));
          }
        },
        stop,
        lost({ code, signal: killedBy, stderr }) {
          finish();
          if (stopped !== undefined) {
            reject(stopped);
            return;
          }
          const outOfMemory = stderr.includes('heap out of memory');
          const message = outOfMemory
            ? `Parsing ${source} needed more than the parser's ${maxHeapMb} MiB heap limit`
            : `The parse process stopped while parsing ${source} (${killedBy ?? `exit code ${code}`})`;
          logger.warn({ source, code, signal: killedBy, stderr: stderr.slice(-500) }, 'a parse process stopped');
          // Retried while attempts last: a process may also die of its neighbours' load.
          reject(new SluiceError('worker_crashed', message, { retryable: true }));
        },
      };
      if (signal?.aborted) {
        reject(asError(signal.reason));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      pool.submit(job);
    });
}

/**
 * Parses and chunks untrusted files in a pool of child processes, one file at a time each. A file
 * that loops, or needs more memory than the heap limit, costs one process, which is replaced, and
 * never the service, its other documents or its job locks. Processes, not worker threads: V8 ends the
 * whole process when one isolate overruns its heap inside a single large allocation (a `JSON.parse`, a
 * string join), which a thread's heap limit cannot catch. Parsing and tokenising (most of an ingest's
 * CPU) also leave the main thread free for HTTP, queue locks and writes. Parsing and chunking each get
 * the time limit, counted from when the process starts that step.
 *
 * No pool library is used: piscina and its kin run threads, and tinypool's process mode speaks JSON
 * over IPC (a file's bytes as an array of numbers) and cannot report steps.
 */
export function createSandboxedSplitter(options: SandboxOptions): DocumentSplitter & { close(): Promise<void> } {
  const {
    logger,
    maxHeapMb,
    processes,
    chunker,
    nice = 0,
    recycleAboveMb = 160,
    idleTimeoutMs = 5000,
    splitPdfAboveBytes = 16 * 1024 * 1024,
    ...limits
  } = options;
  const pool = createParseProcessPool({ processes, maxHeapMb, nice, recycleAboveMb, idleTimeoutMs, logger });
  const runTask = createTaskRunner(pool, { limits, maxHeapMb, logger });

  /**
   * A large PDF is read as one run of pages per process, all at once, and its joined text chunked in
   * one more task: one file no longer holds one core for the whole of its parse while the others idle
   * (measured in BENCH.md). The chunks are those of a reading in one piece.
   */
  const splitPdfInParts = async (
    bytes: Uint8Array,
    source: string,
    { signal, onParsed, onPages }: SplitOptions,
  ): Promise<SplitDocument> => {
    // One part failing (or the caller cancelling) stops the others: their pages are of no use.
    const together = new AbortController();
    const onAbort = (): void => together.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    // The pages each part has read, summed into the file's.
    const read = new Array<number>(processes).fill(0);
    const partPages =
      (index: number) =>
      (pages: PagesRead): void => {
        read[index] = pages.read;
        onPages?.({ read: read.reduce((sum, n) => sum + n, 0), total: pages.pageCount });
      };
    try {
      const parts = await Promise.all(
        Array.from({ length: processes }, (_, index) =>
          runTask(
            { kind: 'pdf-part', bytes, source, limits, part: { index, of: processes } },
            { source, signal: together.signal, labels: { started: 'Parsing' }, onPages: partPages(index) },
          ).then(
            ({ value }) => value,
            (error: unknown) => {
              together.abort(error);
              throw error;
            },
          ),
        ),
      );
      const parsed = joinPdfParts(parts);
      if (parsed.text.trim() === '') {
        throw new SluiceError('empty_document', `The ${mediaTypes.pdf} file holds no text`);
      }
      onParsed?.();
      const { chunks } = await runTask(
        { kind: 'chunk', parsed, chunker },
        { source, signal: together.signal, labels: { started: 'Chunking' } },
      );
      return { mediaType: parsed.mediaType, chunks };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };

  const split = async ({ bytes, source }: ParseInput, options: SplitOptions): Promise<SplitDocument> => {
    if (
      processes > 1 &&
      splitPdfAboveBytes > 0 &&
      bytes.byteLength >= splitPdfAboveBytes &&
      bytes.byteLength <= limits.maxFileBytes &&
      startsAsPdf(bytes)
    ) {
      return splitPdfInParts(bytes, source, options);
    }
    const { value, chunks } = await runTask(
      { kind: 'file', bytes, source, limits, chunker },
      {
        source,
        ...(options.signal ? { signal: options.signal } : {}),
        labels: { started: 'Parsing', parsed: 'Chunking' },
        onStep: (step) => step === 'parsed' && options.onParsed?.(),
        onPages: ({ read, pageCount }) => options.onPages?.({ read, total: pageCount }),
      },
    );
    return { mediaType: value.mediaType, chunks };
  };

  return {
    split: (input, splitOptions = {}) => split(input, splitOptions),
    close: () => pool.close(),
  };
}
