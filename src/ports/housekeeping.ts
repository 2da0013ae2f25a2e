import type { FileTally } from './blob-store.js';

/** How far back each kind of bookkeeping is kept. */
export interface RetentionCutoffs {
  /** Events of batches with nothing left to run, whose last change is older. */
  events: Date;
  /** Answers recorded under Idempotency-Keys before it. */
  idempotency: Date;
  /** Batches with no document left, made before it. */
  batches: Date;
}

export interface PruneCounts {
  events: number;
  idempotencyKeys: number;
  batches: number;
}

/** What making removed rows unreadable did, step by step, and what it could not do. */
export interface CompactReport {
  done: string[];
  notDone: string[];
}

/** What one sweep did and saw, as `sluice gc`, `/metrics` and `sluice status` show it. */
export interface SweepReport {
  /** When it finished (ISO time), and how long it took. */
  at: string;
  ms: number;
  /** Raw files removed because nothing refers to them any more, and those kept. */
  blobs: { removed: number; bytes: number; kept: number };
  /** Staging files of uploads whose process died. */
  staging: FileTally;
  rows: PruneCounts;
  compaction?: CompactReport;
  /** What is on disk after the sweep. */
  disk: { blobs: FileTally; staging: FileTally; databaseBytes: number };
  /** What it could not do. */
  errors: string[];
}

/** The store's side of the sweeper: retention, compaction, sizes, and one sweeper at a time. */
export interface Housekeeping {
  /** Removes the bookkeeping retention lets go; how many rows of each kind. */
  prune(cutoffs: RetentionCutoffs): Promise<PruneCounts>;
  /**
   * Rewrites what still holds removed rows' bytes where the backend can: on SQLite, the full-text
   * indexes merged and the write-ahead log checkpointed and truncated (deleted rows are overwritten as
   * they are deleted).
   */
  compact(): Promise<CompactReport>;
  /** Bytes the database takes on disk (SQLite: its file and write-ahead log). */
  databaseBytes(): Promise<number>;
  /**
   * Takes the named lease for `ttlMs` if it is free, lapsed, or `holder`'s already; whether it did.
   * @remarks Must be one atomic step: two processes asking at once cannot both get it.
   */
  tryLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  /** Who holds the named lease, while it has not lapsed. */
  leaseHolder(name: string): Promise<string | undefined>;
  /** Keeps the last sweep's report, for every process's metrics and status. */
  recordSweep(report: SweepReport): Promise<void>;
  lastSweep(): Promise<SweepReport | undefined>;
}
