import { fork, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { SluiceError } from '../core/errors.js';
import type { Logger } from '../ports/logger.js';
import type { DocumentSplitter, SplitDocument, SplitOptions } from '../ports/splitter.js';
import type { ParserLimits } from './create-document-parser.js';
import type { ChildMessage, TaskMessage } from './split-process.js';
import type { ParseInput } from '../ports/parser.js';
import type { Chunk } from '../core/types.js';
import { joinPdfParts } from './pdf-parts.js';
import { mediaTypes } from './media-types.js';
import type { SplitProgress, SplitReply, SplitResults, SplitTask } from './split-worker.js';
import { builtEntryPoint } from '../runtime/built-entry-point.js';

export interface SandboxOptions extends ParserLimits {
  /** Parse processes at most; each is started on first need and then kept. */
  processes: number;
  /** Heap limit of each parse process, in MiB. */
  maxHeapMb: number;
  /**
   * How much lower than this process the parse processes are scheduled (nice, 0–19). When parsing
   * fills every CPU, the thread that answers uploads and publishes chunks goes first: 50 clients
   * uploading while one process ingests got 83–96 uploads/s through instead of 49–58 at 0
   * (`bench/upload-latency.js`), and the 20 files took as long. @defaultValue 0
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
   * pool with nothing to do should hand that back (a process that sat idle at 158 MB while another parsed
   * the R reference manual put an ingest's peak over 500 MB). The next file starts a new one, which costs
   * about a tenth of a second. @defaultValue 5000
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
  return bytes.length > 5 && bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46 && bytes[4] === 0x2d;
}

/**
 * How long past the time limit a process may take to stop by itself: parsers that yield (PDF, page by
 * page) stop cleanly at the limit and keep their process; one stuck in a synchronous step is killed.
 * Never more than the limit itself, so a short limit stays short.
 */
const hardStopGraceMs = (limitMs: number): number => Math.min(1000, limitMs);

/** An abort reason as an Error (AbortSignal's reason may be anything). */
const asError = (reason: unknown): Error => (reason instanceof Error ? reason : new Error(String(reason)));

/** Takes `item` out of `list`, if it is there. */
function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) {
    list.splice(at, 1);
  }
}

/**
 * Semi-space of each parse process's young generation, in MiB (V8's default is 16). A process holds
 * two, and keeps them committed once grown, beside the heap a large PDF fills: half of the R reference
 * manual read and chunked in one process peaked at 179–181 MB against 197–204, for about 10 % more
 * CPU; the whole corpus ingested in as long.
 */
const semiSpaceMb = 4;

/**
 * How far V8 lets a parse process's old generation grow past what its last full collection kept, in
 * percent. Left to itself V8 picks a factor of up to 4 for a heap that is collected quickly, and a PDF's
 * garbage then sits in memory: half of the R reference manual peaked at 151 MB instead of 165 in the
 * same CPU time, and the whole corpus at a tree peak of 483 MB instead of 500 (medians of 3), as fast.
 */
const heapGrowingPercent = 50;

/**
 * PDFium's WebAssembly is compiled by TurboFan alone, not first by Liftoff and then again by TurboFan for
 * the functions that run hot: V8 keeps both sets of code. Reading the R reference manual and chunking it
 * peaked at 167–168 MB instead of 187–189, in as long; the first PDF a process reads waits about 200 ms
 * longer for its code (a one-page file: 480 ms against 270).
 */
const wasmFlags = ['--no-liftoff'];

/**
 * `gc()`, for `collectReleasedMemory` to give back a dropped PDFium instance's memory at once; and V8's
 * collector on the process's own thread, without helper threads. While ingesting, the parse processes
 * and the ingesting process keep both cores busy, and helpers only contend with them: the Python and R
 * docs ingested in 7.16 / 7.36 / 7.47 s against 8.48 / 7.54 / 7.88 with helpers, alternating, the parse
 * processes using 0.2–1.2 s less CPU.
 */
const gcFlags = ['--expose-gc', '--single-threaded-gc'];

/** A file waiting for, or running in, a parse process. */
interface Job {
  message: TaskMessage;
  child?: ChildProcess;
  step(step: SplitProgress): void;
  /** A slice of the task's chunks, in text order, ahead of its reply. */
  chunks(chunks: Chunk[]): void;
  done(reply: SplitReply): void;
  /** The process ended before replying; `stderr` is the end of what it printed. */
  lost(exit: { code: number | null; signal: NodeJS.Signals | null; stderr: string }): void;
  /** Ends the job from here (time limit, cancel, close), killing its process if it runs. */
  stop(reason: Error): void;
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
  const { logger, maxHeapMb, processes, chunker, nice = 0, recycleAboveMb = 160, idleTimeoutMs = 5000, splitPdfAboveBytes = 16 * 1024 * 1024, ...limits } = options;
  const file = builtEntryPoint(import.meta.url, './split-process.js');
  const waiting: Job[] = [];
  const idle: ChildProcess[] = [];
  const running = new Map<ChildProcess, Job>();
  const idleTimers = new Map<ChildProcess, NodeJS.Timeout>();
  const children = new Set<ChildProcess>();
  let nextId = 0;
  let closed = false;

  const spawnChild = (): ChildProcess => {
    const child = fork(file, [], {
      execArgv: [`--max-old-space-size=${maxHeapMb}`, `--max-semi-space-size=${semiSpaceMb}`, `--heap-growing-percent=${heapGrowingPercent}`, ...wasmFlags, ...gcFlags],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    children.add(child);
    if (nice > 0 && child.pid !== undefined) {
      try {
        setPriority(child.pid, Math.min(19, getPriority() + nice));
      } catch (error) {
        // A platform or sandbox that refuses it parses at the same priority: slower answers, same work.
        logger.debug({ err: error }, 'could not lower the priority of a parse process');
      }
    }
    // Kept for the report of a crash: V8 prints why it gave up (out of memory) on stderr.
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-4000);
    });
    child.on('message', (message: ChildMessage) => {
      const job = running.get(child);
      if (job?.message.id !== message.id) {
        return;
      }
      if ('step' in message) {
        job.step(message.step);
        return;
      }
      if ('chunks' in message) {
        job.chunks(message.chunks);
        return;
      }
      running.delete(child);
      job.done(message.reply);
      if (message.rss > recycleAboveMb * 1024 * 1024) {
        logger.debug({ rssMb: Math.round(message.rss / 1048576) }, 'replacing a parse process that grew');
        child.kill('SIGTERM');
        pump();
        return;
      }
      release(child);
    });
    child.on('error', (error) => logger.warn({ err: error }, 'a parse process failed'));
    child.once('exit', (code, signal) => {
      children.delete(child);
      remove(idle, child);
      stopIdleTimer(child);
      const job = running.get(child);
      running.delete(child);
      if (job) {
        job.lost({ code, signal, stderr });
      } else if (!closed && signal !== 'SIGTERM') {
        logger.warn({ code, signal, stderr: stderr.slice(-500) }, 'a parse process stopped');
      }
      pump();
    });
    return child;
  };

  const stopIdleTimer = (child: ChildProcess): void => {
    clearTimeout(idleTimers.get(child));
    idleTimers.delete(child);
  };

  /** Idle processes must not keep the service alive on their own, nor their memory for long. */
  const release = (child: ChildProcess): void => {
    // Stopped from here while its answer was already on its way (a cancel, a sibling part failing): it
    // is about to die, and a file handed to it would be lost with it. Its exit tops the pool up.
    if (child.killed) {
      return;
    }
    child.unref();
    child.channel?.unref();
    idle.push(child);
    idleTimers.set(
      child,
      setTimeout(() => {
        if (idle.includes(child)) {
          remove(idle, child);
          child.kill('SIGTERM');
        }
      }, idleTimeoutMs).unref(),
    );
    pump();
  };

  const pump = (): void => {
    while (!closed && waiting.length > 0) {
      const child = idle.pop() ?? (children.size < processes ? spawnChild() : undefined);
      if (!child) {
        return;
      }
      const job = waiting.shift() as Job;
      stopIdleTimer(child);
      child.ref();
      child.channel?.ref();
      job.child = child;
      running.set(child, job);
      child.send(job.message);
    }
  };

  /**
   * Runs one task in the pool, to its answer and the chunks that came ahead of it. `onStep` hears the
   * process's steps; each of `labels` names the work a step starts, and restarts the time limit for it
   * (`started` → parsing, say, `parsed` → chunking).
   */
  const runTask = <K extends SplitTask['kind']>(
    task: Extract<SplitTask, { kind: K }>,
    { source, signal, labels, onStep }: { source: string; signal?: AbortSignal; labels: Partial<Record<SplitProgress, string>>; onStep?: (step: SplitProgress) => void },
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
        remove(waiting, job);
        finish();
        reject(reason);
      };
      const onAbort = (): void => stop(asError(signal?.reason));
      const job: Job = {
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
      waiting.push(job);
      pump();
    });

  /**
   * A large PDF is read as one run of pages per process, all at once, and its joined text chunked in
   * one more task: one file no longer holds one core for the whole of its parse while the others idle
   * (the R reference manual took 13–20 s alone). The chunks are those of a reading in one piece.
   */
  const splitPdfInParts = async (bytes: Uint8Array, source: string, { signal, onParsed }: SplitOptions): Promise<SplitDocument> => {
    // One part failing (or the caller cancelling) stops the others: their pages are of no use.
    const together = new AbortController();
    const onAbort = (): void => together.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const parts = await Promise.all(
        Array.from({ length: processes }, (_, index) =>
          runTask({ kind: 'pdf-part', bytes, source, limits, part: { index, of: processes } }, { source, signal: together.signal, labels: { started: 'Parsing' } }).then(
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
      const { chunks } = await runTask({ kind: 'chunk', parsed, chunker }, { source, signal: together.signal, labels: { started: 'Chunking' } });
      return { mediaType: parsed.mediaType, chunks };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };

  const split = async ({ bytes, source }: ParseInput, options: SplitOptions): Promise<SplitDocument> => {
    if (processes > 1 && splitPdfAboveBytes > 0 && bytes.byteLength >= splitPdfAboveBytes && bytes.byteLength <= limits.maxFileBytes && startsAsPdf(bytes)) {
      return splitPdfInParts(bytes, source, options);
    }
    const { value, chunks } = await runTask(
      { kind: 'file', bytes, source, limits, chunker },
      {
        source,
        ...(options.signal ? { signal: options.signal } : {}),
        labels: { started: 'Parsing', parsed: 'Chunking' },
        onStep: (step) => step === 'parsed' && options.onParsed?.(),
      },
    );
    return { mediaType: value.mediaType, chunks };
  };

  return {
    split: (input, splitOptions = {}) => split(input, splitOptions),
    async close() {
      closed = true;
      const exits = [...children].map((child) => new Promise((resolve) => child.once('exit', resolve)));
      const closing = new Error('The parse processes were shut down');
      for (const job of [...waiting, ...running.values()]) {
        job.stop(closing);
      }
      for (const child of idle) {
        // Waited for: the loop must not run dry (and end the process) while they exit.
        child.ref();
        child.kill('SIGTERM');
      }
      await Promise.all(exits);
    },
  };
}
