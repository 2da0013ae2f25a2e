import type { EmbedderCallOutcome } from '../metrics/create-metrics.js';
import type { StoredEvent } from '../ports/event-bus.js';
import type { DocumentJob, QueueStats } from '../ports/queue.js';
import type { SluiceConfig } from './config.js';

/** What a worker thread is started with. */
export interface WorkerThreadData {
  config: SluiceConfig;
  /** The SQLite writer gate of the API thread's store, shared (see `store/sqlite/writer-gate.ts`). */
  writerGate?: SharedArrayBuffer;
}

/** A question whose answer comes back under the same `id`. */
export type WorkerThreadQuestion = { kind: 'has'; documentId: string } | { kind: 'stats' } | { kind: 'idle' };

export interface WorkerThreadAnswers {
  has: boolean;
  stats: QueueStats;
  idle: null;
}

export const emptyStats: QueueStats = { waiting: 0, delayed: 0, active: 0, failed: 0 };

/** What a question is answered with when no thread will answer it (shut down) or answering failed. */
export const noAnswer = (question: WorkerThreadQuestion): WorkerThreadAnswers[keyof WorkerThreadAnswers] =>
  question.kind === 'has' ? false : question.kind === 'stats' ? emptyStats : null;

/** From the API's thread to the worker thread. */
export type ToWorkerThread =
  | { type: 'start' }
  | { type: 'enqueue'; jobs: DocumentJob[] }
  | { type: 'cancel'; documentId: string }
  | { type: 'ask'; id: number; question: WorkerThreadQuestion }
  /** Stop as `AppContext.close` does: running documents get the configured grace to finish. */
  | { type: 'close' };

/** From the worker thread to the API's thread. */
export type FromWorkerThread =
  | { type: 'started'; workerId: string; resumed: number }
  | { type: 'answer'; id: number; value: WorkerThreadAnswers[keyof WorkerThreadAnswers] }
  /** An event the thread's workers logged, for the listeners of the API's thread (SSE, metrics). */
  | { type: 'event'; event: StoredEvent }
  | { type: 'embedderCall'; outcome: EmbedderCallOutcome }
  | { type: 'closed' };
