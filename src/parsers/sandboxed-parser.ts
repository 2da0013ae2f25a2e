import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { SluiceError } from '../core/errors.js';
import type { DocumentParser } from '../ports/parser.js';
import type { Logger } from '../ports/logger.js';
import type { ParserLimits } from './create-document-parser.js';
import type { ParseReply, ParseTask } from './parse-worker.js';

export interface SandboxOptions extends ParserLimits {
  /** Parse threads at most; idle ones are stopped after a while. */
  threads: number;
  /** Heap limit of each thread, in MiB. */
  maxHeapMb: number;
  logger: Logger;
}

/**
 * How long past the time limit a thread may take to stop by itself: parsers that yield (PDF, page by
 * page) stop cleanly at the limit and keep their thread; one stuck in a synchronous step is stopped by
 * ending its thread. Never more than the limit itself, so a short limit stays short.
 */
const hardStopGraceMs = (limitMs: number): number => Math.min(1000, limitMs);

/** The built worker module; when running from the TypeScript sources (tests), the one `npm run build` wrote. */
function parseWorkerFile(): string {
  const beside = new URL('./parse-worker.js', import.meta.url);
  return fileURLToPath(existsSync(beside) ? beside : new URL('../../dist/parsers/parse-worker.js', import.meta.url));
}

/**
 * Parses untrusted files in a pool of worker threads: a file that loops, or needs more memory than
 * the limit, costs one thread, which is replaced, and never the process, its other documents or its
 * job locks. It fails the document with `parse_timeout` or `worker_crashed` (retried while attempts
 * last, since a thread may also die of its neighbour's load). Parsing also leaves the main thread
 * free for HTTP, queue locks and embedding.
 */
export function createSandboxedParser(options: SandboxOptions): DocumentParser & { close(): Promise<void> } {
  const { logger, maxHeapMb, threads, ...limits } = options;
  const pool = new Piscina<ParseTask, ParseReply>({
    filename: parseWorkerFile(),
    // Threads are kept, not started on demand: with none running, piscina 5.3 leaves the tasks queued
    // behind a thread that died (out of memory) waiting forever.
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 30_000,
    concurrentTasksPerWorker: 1,
    resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
  });
  // A thread that dies between tasks has no task to reject; the pool reports it here instead.
  pool.on('error', (error: unknown) => logger.warn({ err: error }, 'a parse thread stopped'));

  return {
    async parse({ bytes, source }, signal) {
      const deadline = new AbortController();
      const { port1, port2 } = new MessageChannel();
      let timer: NodeJS.Timeout | undefined;
      port1.once('message', () => {
        timer = setTimeout(
          () => deadline.abort(new SluiceError('parse_timeout', `Parsing took longer than ${limits.parseTimeoutMs} ms`)),
          limits.parseTimeoutMs + hardStopGraceMs(limits.parseTimeoutMs),
        );
      });
      // The thread gets its own copy to own: the caller's buffer may share memory with others.
      const copy = new Uint8Array(bytes);
      try {
        const reply = await pool.run(
          { bytes: copy, source, limits, started: port2 },
          { signal: signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal, transferList: [port2, copy.buffer] },
        );
        if (reply.ok) {
          return reply.parsed;
        }
        throw new SluiceError(reply.code, reply.message, { retryable: reply.retryable });
      } catch (thrown) {
        if (thrown instanceof SluiceError) {
          throw thrown;
        }
        if (deadline.signal.aborted) {
          throw deadline.signal.reason;
        }
        if (signal?.aborted) {
          throw signal.reason;
        }
        const outOfMemory = (thrown as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
        const message = outOfMemory
          ? `Parsing ${source} needed more than the parser's ${maxHeapMb} MiB heap limit`
          : `The parse thread stopped while parsing ${source}: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
        throw new SluiceError('worker_crashed', message, { retryable: true, cause: thrown });
      } finally {
        clearTimeout(timer);
        port1.close();
      }
    },
    close: () => pool.destroy(),
  };
}
