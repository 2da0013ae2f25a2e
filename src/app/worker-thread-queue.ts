import type { Worker } from 'node:worker_threads';
import type { DocumentJob, JobQueue } from '../ports/queue.js';
import {
  emptyStats,
  noAnswer,
  type ToWorkerThread,
  type WorkerThreadAnswers,
  type WorkerThreadQuestion,
} from './worker-thread-messages.js';

/** What the worker thread's queue needs of its host (`worker-thread-host.ts`), whether a thread runs now or not. */
export interface WorkerThreadLink {
  /** Posts to the running thread, or keeps the message for the next one to start. */
  send(message: ToWorkerThread): void;
  /** The running thread, if one runs (between a crash and its replacement, none does). */
  readonly thread: Worker | undefined;
  /** Resolves once the thread's workers have started; undefined until the host is started. */
  readonly started: Promise<number> | undefined;
  /** The jobs sent while no thread has taken them yet. */
  posted(): DocumentJob[];
  /** Stops the thread, giving its running documents `graceMs` to finish. */
  close(graceMs: number): Promise<void>;
}

/** The worker thread's queue, seen from the API's thread, and the host's side of its questions. */
export interface WorkerThreadQueue extends JobQueue {
  /** The thread answered question `id`. */
  answer(id: number, value: WorkerThreadAnswers[keyof WorkerThreadAnswers]): void;
  /** Asks a thread just started what the one before it died without answering. */
  askAgain(thread: Worker): void;
}

interface Question<K extends keyof WorkerThreadAnswers = keyof WorkerThreadAnswers> {
  question: WorkerThreadQuestion & { kind: K };
  resolve(value: WorkerThreadAnswers[K]): void;
}

/**
 * The worker thread's queue, seen from the API's thread: jobs and cancels go by message; questions
 * (`has`, `stats`, `idle`) wait under their id until the running thread, or the next one, answers.
 */
export function createWorkerThreadQueue(link: WorkerThreadLink, shutdownGraceMs: number): WorkerThreadQueue {
  const questions = new Map<number, Question>();
  let nextQuestion = 1;
  let closed = false;

  const ask = <K extends keyof WorkerThreadAnswers>(
    question: WorkerThreadQuestion & { kind: K },
  ): Promise<WorkerThreadAnswers[K]> => {
    if (closed) {
      return Promise.resolve(noAnswer(question) as WorkerThreadAnswers[K]);
    }
    return new Promise((resolve) => {
      const id = nextQuestion++;
      questions.set(id, { question, resolve: resolve as Question['resolve'] });
      link.thread?.postMessage({ type: 'ask', id, question } satisfies ToWorkerThread);
    });
  };

  return {
    shared: false,
    enqueue(jobs) {
      link.send({ type: 'enqueue', jobs });
      return Promise.resolve();
    },
    start() {
      throw new Error('the worker thread runs its own handlers: start it with WorkerThreadHost.start()');
    },
    cancel(documentId) {
      link.send({ type: 'cancel', documentId });
      return Promise.resolve();
    },
    // Before the thread starts, the jobs it will be given are all there is to know.
    has(documentId) {
      return link.started
        ? ask({ kind: 'has', documentId })
        : Promise.resolve(link.posted().some((job) => job.documentId === documentId));
    },
    stats() {
      return link.started ? ask({ kind: 'stats' }) : Promise.resolve({ ...emptyStats, waiting: link.posted().length });
    },
    async idle() {
      await link.started;
      await ask({ kind: 'idle' });
    },
    async close(graceMs = shutdownGraceMs) {
      closed = true;
      questions.forEach((waiting) => waiting.resolve(noAnswer(waiting.question)));
      questions.clear();
      await link.close(graceMs);
    },
    answer(id, value) {
      const waiting = questions.get(id);
      questions.delete(id);
      waiting?.resolve(value);
    },
    askAgain(thread) {
      for (const [id, { question }] of questions) {
        thread.postMessage({ type: 'ask', id, question } satisfies ToWorkerThread);
      }
    },
  };
}
