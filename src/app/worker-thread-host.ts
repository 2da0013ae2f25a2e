import { Worker } from 'node:worker_threads';
import type { EmbedderCallOutcome } from '../metrics/create-metrics.js';
import type { StoredEvent } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { JobQueue } from '../ports/queue.js';
import type { SluiceConfig } from './config.js';
import type { FromWorkerThread, ToWorkerThread, WorkerThreadData } from './worker-thread-messages.js';
import { createWorkerThreadQueue, type WorkerThreadLink } from './worker-thread-queue.js';
import { builtEntryPoint } from '../runtime/built-entry-point.js';

export interface WorkerThreadHostOptions {
  config: SluiceConfig;
  /** Handed to the thread's SQLite store (see `store/sqlite/writer-gate.ts`). */
  writerGate?: SharedArrayBuffer;
  logger: Logger;
  /** An event the thread's workers logged (already in the ledger), for this thread's listeners. */
  onEvent(event: StoredEvent): void;
  onEmbedderCall(outcome: EmbedderCallOutcome): void;
  /**
   * A thread stopped without being asked to, holding documents as the worker `workerId`: called before
   * the next thread starts, which resumes whatever a worker no longer in the ledger held.
   */
  onCrash(workerId: string | undefined): Promise<void>;
  /** The thread's script: the built `worker-thread.js` unless another builds the thread's workers (the tests). */
  entryPoint?: string;
}

export interface WorkerThreadHost {
  /** The thread's queue, seen from this thread. `start` is not used: the thread runs its own handlers. */
  queue: JobQueue;
  /** Starts the thread and its workers; resolves with how many unfinished documents they resumed. */
  start(): Promise<number>;
  /** The running thread, if one runs (between a crash and its replacement, none does). */
  readonly thread: Worker | undefined;
  /** The worker id the running thread's workers hold documents under, once they have started. */
  readonly workerId: string | undefined;
}

/** A thread that ran this long before it stopped is restarted at once; one that keeps stopping sooner, less and less often. */
const healthyRunMs = 30_000;
const maxRestartDelayMs = 10_000;

/** How long to wait before the `restarts`-th restart in a row of a thread that did not run healthily. */
const restartDelayMs = (restarts: number): number =>
  restarts === 0 ? 0 : Math.min(maxRestartDelayMs, 500 * 2 ** restarts);

/**
 * Runs the embedded workers (in-process queue, parse processes, embedding, publishing) in a worker
 * thread, so that the API's event loop only receives uploads and answers queries: sharing it with an
 * ingest put upload latencies many times over their goal (measured in BENCH.md). The thread is an app
 * of its own on the same ledger, like a `sluice worker` process, but its jobs arrive by message the
 * moment they are dispatched, and its events reach this thread's listeners (SSE, metrics) as it logs
 * them. A thread that dies is replaced; the ledger says what it held, and the new one resumes that.
 */
export function createWorkerThreadHost(options: WorkerThreadHostOptions): WorkerThreadHost {
  const { config, logger } = options;
  const entryPoint = options.entryPoint ?? builtEntryPoint(import.meta.url, './worker-thread.js');
  let thread: Worker | undefined;
  let workerId: string | undefined;
  let startedAt = 0;
  let restarts = 0;
  let closing = false;
  let lastError: unknown;
  // Jobs and cancels posted while no thread is running; questions wait in the queue until answered.
  let outbox: ToWorkerThread[] = [];
  let firstStart: { resolve(resumed: number): void; reject(error: Error): void } | undefined;
  let started: Promise<number> | undefined;
  let exited: Promise<void> = Promise.resolve();

  const receive = (message: FromWorkerThread): void => {
    switch (message.type) {
      case 'started':
        workerId = message.workerId;
        firstStart?.resolve(message.resumed);
        firstStart = undefined;
        break;
      case 'answer':
        queue.answer(message.id, message.value);
        break;
      case 'event':
        options.onEvent(message.event);
        break;
      case 'embedderCall':
        options.onEmbedderCall(message.outcome);
        break;
      case 'closed':
        break;
    }
  };

  const spawn = (): void => {
    const data: WorkerThreadData = { config, ...(options.writerGate ? { writerGate: options.writerGate } : {}) };
    const spawned = new Worker(entryPoint, { workerData: data });
    thread = spawned;
    startedAt = Date.now();
    exited = new Promise((resolve) => {
      spawned.once('exit', (code) => {
        onExit(spawned, code);
        resolve();
      });
    });
    spawned.on('message', receive);
    spawned.on('error', (error) => {
      lastError = error;
      logger.error({ err: error }, 'the worker thread failed');
    });
    for (const message of outbox) {
      spawned.postMessage(message);
    }
    outbox = [];
    spawned.postMessage({ type: 'start' } satisfies ToWorkerThread);
    // Asked of a thread that died before answering: the new one answers instead.
    queue.askAgain(spawned);
  };

  const onExit = (exitedThread: Worker, code: number): void => {
    if (thread !== exitedThread) {
      return;
    }
    thread = undefined;
    if (closing) {
      return;
    }
    if (firstStart) {
      // It never got going (a ledger it cannot open, say): the same would happen again.
      const reason = lastError instanceof Error ? lastError.message : `exit code ${code}`;
      firstStart.reject(new Error(`the worker thread did not start: ${reason}`));
      firstStart = undefined;
      return;
    }
    restarts = Date.now() - startedAt > healthyRunMs ? 0 : restarts + 1;
    const delayMs = restartDelayMs(restarts);
    logger.error({ code, restartInMs: delayMs }, 'the worker thread stopped; starting another');
    const crashed = workerId;
    workerId = undefined;
    setTimeout(() => {
      options
        .onCrash(crashed)
        .catch((error: unknown) =>
          logger.error({ err: error }, 'could not clear the stopped worker thread from the ledger'),
        )
        .finally(() => {
          if (!closing) {
            spawn();
          }
        });
    }, delayMs);
  };

  const link: WorkerThreadLink = {
    send(message) {
      if (thread) {
        thread.postMessage(message);
      } else {
        outbox.push(message);
      }
    },
    get thread() {
      return thread;
    },
    get started() {
      return started;
    },
    posted: () => outbox.flatMap((message) => (message.type === 'enqueue' ? message.jobs : [])),
    async close(graceMs) {
      closing = true;
      const running = thread;
      if (!running) {
        return;
      }
      // The thread gives its running documents the grace period; past it and a margin, it is stopped.
      running.postMessage({ type: 'close' } satisfies ToWorkerThread);
      const deadline = setTimeout(() => void running.terminate(), graceMs + 10_000);
      await exited;
      clearTimeout(deadline);
    },
  };

  const queue = createWorkerThreadQueue(link, config.shutdownGraceMs);

  return {
    queue,
    start() {
      started ??= new Promise<number>((resolve, reject) => {
        firstStart = { resolve, reject };
        spawn();
      });
      return started;
    },
    get thread() {
      return thread;
    },
    get workerId() {
      return workerId;
    },
  };
}
