import { Worker } from 'node:worker_threads';
import type { EmbedderCallOutcome } from '../metrics/create-metrics.js';
import type { StoredEvent } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { DocumentJob, JobQueue, QueueStats } from '../ports/queue.js';
import type { SluiceConfig } from './config.js';
import type {
  FromWorkerThread,
  ToWorkerThread,
  WorkerThreadAnswers,
  WorkerThreadData,
  WorkerThreadQuestion,
} from './worker-thread-messages.js';
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

const emptyStats: QueueStats = { waiting: 0, delayed: 0, active: 0, failed: 0 };

interface Question<K extends keyof WorkerThreadAnswers = keyof WorkerThreadAnswers> {
  question: WorkerThreadQuestion & { kind: K };
  resolve(value: WorkerThreadAnswers[K]): void;
}

/** What a question is answered with once no thread will answer it (shut down). */
const closedAnswer = (question: WorkerThreadQuestion): WorkerThreadAnswers[keyof WorkerThreadAnswers] =>
  question.kind === 'has' ? false : question.kind === 'stats' ? emptyStats : null;

/**
 * Runs the embedded workers (in-process queue, parse processes, embedding, publishing) in a worker
 * thread, so that the API's event loop only receives uploads and answers queries: sharing it with an
 * ingest put 1 MB uploads' p99 at 20 a second near 700 ms (BENCH.md). The thread is an app of its
 * own on the same ledger, like a `sluice worker` process, but its jobs arrive by message the moment
 * they are dispatched, and its events reach this thread's listeners (SSE, metrics) as it logs them.
 * A thread that dies is replaced; the ledger says what it held, and the new one resumes that.
 */
export function createWorkerThreadHost(options: WorkerThreadHostOptions): WorkerThreadHost {
  const { config, logger } = options;
  let worker: Worker | undefined;
  let workerId: string | undefined;
  let startedAt = 0;
  let restarts = 0;
  let closing = false;
  let lastError: unknown;
  // Jobs and cancels posted while no thread is running; questions wait in `questions` until answered.
  let outbox: ToWorkerThread[] = [];
  const questions = new Map<number, Question>();
  let nextQuestion = 1;
  let firstStart: { resolve(resumed: number): void; reject(error: Error): void } | undefined;
  let started: Promise<number> | undefined;
  let exited: Promise<void> = Promise.resolve();

  const send = (message: ToWorkerThread): void => {
    if (worker) {
      worker.postMessage(message);
    } else {
      outbox.push(message);
    }
  };

  const receive = (message: FromWorkerThread): void => {
    switch (message.type) {
      case 'started':
        workerId = message.workerId;
        firstStart?.resolve(message.resumed);
        firstStart = undefined;
        break;
      case 'answer': {
        const waiting = questions.get(message.id);
        questions.delete(message.id);
        waiting?.resolve(message.value);
        break;
      }
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
    const thread = new Worker(builtEntryPoint(import.meta.url, './worker-thread.js'), { workerData: data });
    worker = thread;
    startedAt = Date.now();
    exited = new Promise((resolve) => {
      thread.once('exit', (code) => {
        onExit(thread, code);
        resolve();
      });
    });
    thread.on('message', receive);
    thread.on('error', (error) => {
      lastError = error;
      logger.error({ err: error }, 'the worker thread failed');
    });
    for (const message of outbox) {
      thread.postMessage(message);
    }
    outbox = [];
    thread.postMessage({ type: 'start' } satisfies ToWorkerThread);
    // Asked of a thread that died before answering: the new one answers instead.
    for (const [id, { question }] of questions) {
      thread.postMessage({ type: 'ask', id, question } satisfies ToWorkerThread);
    }
  };

  const onExit = (thread: Worker, code: number): void => {
    if (worker !== thread) {
      return;
    }
    worker = undefined;
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
    const delayMs = restarts === 0 ? 0 : Math.min(maxRestartDelayMs, 500 * 2 ** restarts);
    logger.error({ code, restartInMs: delayMs }, 'the worker thread stopped; starting another');
    const crashed = workerId;
    workerId = undefined;
    setTimeout(() => {
      options
        .onCrash(crashed)
        .catch((error: unknown) => logger.error({ err: error }, 'could not clear the stopped worker thread from the ledger'))
        .finally(() => {
          if (!closing) {
            spawn();
          }
        });
    }, delayMs);
  };

  const ask = <K extends keyof WorkerThreadAnswers>(question: WorkerThreadQuestion & { kind: K }): Promise<WorkerThreadAnswers[K]> => {
    if (closing) {
      return Promise.resolve(closedAnswer(question) as WorkerThreadAnswers[K]);
    }
    return new Promise((resolve) => {
      const id = nextQuestion++;
      questions.set(id, { question, resolve: resolve as Question['resolve'] });
      worker?.postMessage({ type: 'ask', id, question } satisfies ToWorkerThread);
    });
  };

  /** Before the thread starts, the jobs it will be given are all there is to know. */
  const posted = (): DocumentJob[] => outbox.flatMap((message) => (message.type === 'enqueue' ? message.jobs : []));

  const queue: JobQueue = {
    shared: false,
    enqueue(jobs) {
      send({ type: 'enqueue', jobs });
      return Promise.resolve();
    },
    start() {
      throw new Error('the worker thread runs its own handlers: start it with WorkerThreadHost.start()');
    },
    cancel(documentId) {
      send({ type: 'cancel', documentId });
      return Promise.resolve();
    },
    has(documentId) {
      return started ? ask({ kind: 'has', documentId }) : Promise.resolve(posted().some((job) => job.documentId === documentId));
    },
    stats() {
      return started ? ask({ kind: 'stats' }) : Promise.resolve({ ...emptyStats, waiting: posted().length });
    },
    async idle() {
      await started;
      await ask({ kind: 'idle' });
    },
    async close(graceMs = config.shutdownGraceMs) {
      closing = true;
      questions.forEach((waiting) => waiting.resolve(closedAnswer(waiting.question)));
      questions.clear();
      const thread = worker;
      if (!thread) {
        return;
      }
      // The thread gives its running documents the grace period; past it and a margin, it is stopped.
      thread.postMessage({ type: 'close' } satisfies ToWorkerThread);
      const deadline = setTimeout(() => void thread.terminate(), graceMs + 10_000);
      await exited;
      clearTimeout(deadline);
    },
  };

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
      return worker;
    },
    get workerId() {
      return workerId;
    },
  };
}
