/** A document job; payloads carry ids, never document bodies. */
export interface DocumentJob {
  documentId: string;
  /** Higher runs first. @defaultValue 0 */
  priority?: number;
  /** Do not start before this many milliseconds from now. */
  delayMs?: number;
}

/** Queue name → payload type, so every producer and consumer agrees on payloads. */
export interface QueuePayloads {
  documents: DocumentJob;
}

/** What a handler tells the queue once it is done with a job. */
export type JobOutcome = { kind: 'done' } | { kind: 'retry'; delayMs: number };

export type JobHandler = (job: DocumentJob, signal: AbortSignal) => Promise<JobOutcome>;

export interface QueueStats {
  waiting: number;
  delayed: number;
  active: number;
  /** Jobs the queue itself gave up on (kept for inspection); document failures live in the ledger. */
  failed: number;
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
  start(handler: JobHandler, options: { concurrency: number }): void;
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
