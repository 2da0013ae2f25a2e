import type { ErrorCode } from '../core/errors.js';
import type { Chunk, EmbeddedChunk } from '../core/types.js';

/** A document job; payloads carry ids, never document bodies. */
export interface DocumentJob {
  documentId: string;
  /** Higher runs first. @defaultValue 0 */
  priority?: number | undefined;
  /** Do not start before this many milliseconds from now. */
  delayMs?: number;
}

/** One slice of a document's chunks to embed: a child job of the document's job (fan-out). */
export interface BatchJob {
  documentId: string;
  /** The document attempt that made the chunks; a batch of a superseded attempt does nothing. */
  attemptId: string;
  /** Position of the batch among the document's batches. */
  batch: number;
  /** The batch's chunks; none when they wait in the store instead (`staged`). */
  chunks: Chunk[];
  /**
   * The indexes [from, to) of the batch's chunks kept in the store (`ChunkStaging`), where batches go
   * through a shared queue: the job then carries no text, and its result no vectors.
   */
  staged?: { from: number; to: number } | undefined;
}

/** What one batch came to; batches never throw for document-level problems, they report them. */
export type BatchResult = { attemptId: string; batch: number } &
  /** `chunks`: none when the batch was staged; its vectors are then in the store. */
  (
    | { kind: 'embedded'; chunks: EmbeddedChunk[] }
    | { kind: 'failed'; code: ErrorCode; message: string; /** Indexes of the batch's chunks. */ chunkIndexes: number[] }
    | { kind: 'superseded' }
  );

/** Queue name → payload type, so every producer and consumer agrees on payloads. */
export interface QueuePayloads {
  documents: DocumentJob;
  embeddings: BatchJob;
}

/** The results of a fan-out, handed back to the document's handler when every batch has finished. */
export interface FanIn {
  attemptId: string;
  mediaType: string;
  /** How many batches were fanned out. */
  batches: number;
  results: BatchResult[];
}

/** What a handler tells the queue once it is done with a job (for now). */
export type JobOutcome =
  | { kind: 'done' }
  | { kind: 'retry'; delayMs: number }
  /**
   * Run these batches (anywhere, in any order), then call the handler again with their results. The
   * document's job waits meanwhile without holding a worker.
   */
  | {
      kind: 'fanOut';
      attemptId: string;
      mediaType: string;
      batches: BatchJob[];
      /**
       * Every batch must report even after one failed (the document may be published without the failed
       * chunks); otherwise a queue may skip the rest, since the attempt is lost anyway.
       */
      keepGoingAfterFailure?: boolean;
    };

export type JobHandler = (job: DocumentJob, signal: AbortSignal, fanIn?: FanIn) => Promise<JobOutcome>;
export type BatchHandler = (job: BatchJob, signal: AbortSignal) => Promise<BatchResult>;

export interface QueueStats {
  waiting: number;
  delayed: number;
  active: number;
  /** Jobs the queue itself gave up on (kept for inspection); document failures live in the ledger. */
  failed: number;
}

export interface StartOptions {
  /** Document jobs at once in this process. */
  concurrency: number;
  /** Runs the batches a document handler fans out; required if the handler ever answers `fanOut`. */
  batches?: BatchHandler;
  /** Batch jobs at once in this process, where batches run as jobs of their own. @defaultValue concurrency */
  batchConcurrency?: number;
}

/**
 * The document queue. Delivery is at-least-once: a handler may see a job again after a crash, so
 * handlers must be idempotent (the store's fencing makes them so).
 */
export interface JobQueue {
  /** True when every process sharing the store also shares this queue (so it knows their jobs too). */
  readonly shared: boolean;
  /** @remarks must ignore a job whose document is already waiting or running. */
  enqueue(jobs: DocumentJob[]): Promise<void>;
  /** Starts processing with at most `concurrency` handlers at once. */
  start(handler: JobHandler, options: StartOptions): void;
  /** Aborts the handler running the document, if any, and drops it from the waiting list. */
  cancel(documentId: string): Promise<void>;
  /** Whether the document has a job waiting, delayed or running in this queue. */
  has(documentId: string): Promise<boolean>;
  stats(): Promise<QueueStats>;
  /** Resolves when nothing is waiting, delayed or running. */
  idle(): Promise<void>;
  /** Stops taking jobs and waits for running handlers (aborting them after `graceMs`). */
  close(graceMs?: number): Promise<void>;
}
