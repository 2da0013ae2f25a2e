import type { ErrorCode } from '../core/errors.js';
import type { DocumentState, RetryableState } from '../core/states.js';
import type { DocumentRecord, EmbeddedChunk } from '../core/types.js';
import type { DocumentFilter } from './document-ledger.js';

/** A publish without some chunks: the document ends `completed_with_errors`, naming them and why. */
export interface PartialCompletion {
  /** All chunks of the document, published or not. */
  chunksTotal: number;
  failedChunks: number[];
  code: ErrorCode;
  message: string;
}

/** Fenced state changes of a document: each takes the attempt id handed out by `claim` and does nothing if it is stale. */
export interface DocumentTransitions {
  /**
   * Starts an attempt: moves a non-terminal document to `parsing`, counts the attempt and fences all
   * earlier attempts out (and counts it in flight, if it was not). Returns undefined if the document is
   * terminal or gone.
   */
  claim(documentId: string, attemptId: string, workerId?: string): Promise<DocumentRecord | undefined>;
  /** Moves a running attempt to another stage, optionally with chunk progress. */
  setStage(
    documentId: string,
    attemptId: string,
    state: DocumentState,
    progress?: { chunksTotal: number; chunksEmbedded: number },
  ): Promise<boolean>;
  /**
   * Counts the keys of a parsed page's lines (`repeated-lines.ts`) in its collection, once per document,
   * and returns those of them on at least `rule.share` of the collection's counted pages and on at
   * least `rule.minDocuments`. Nothing for a stale attempt.
   */
  countRepeatedLines(
    documentId: string,
    attemptId: string,
    keys: readonly string[],
    rule: { share: number; minDocuments: number },
  ): Promise<string[]>;
  /** Records the language detected in the running attempt's text (ISO 639 code, null if unknown). */
  recordLanguage(documentId: string, attemptId: string, language: string | null): Promise<boolean>;
  /**
   * Records how many of a paged file's pages the running attempt has read, while it parses; false if
   * the attempt is stale or past parsing.
   */
  recordPages(documentId: string, attemptId: string, pages: { read: number; total: number }): Promise<boolean>;
  /**
   * Adds batch `batch`'s `count` chunks to the running attempt's embedded count in one atomic step
   * (batches of one document finish concurrently, on any worker). Each batch counts once per attempt:
   * a batch delivered twice (its worker stalled, another took it over, then the first woke up) does
   * not move progress again. Returns the progress, or undefined if the attempt is stale.
   */
  recordEmbedded(
    documentId: string,
    attemptId: string,
    batch: number,
    count: number,
  ): Promise<{ chunksTotal: number; chunksEmbedded: number } | undefined>;
  /**
   * Publishes the attempt's chunks and marks the document completed, in one atomic step: the chunks
   * of any earlier version of the document are replaced, and readers never see a partial set.
   * @remarks must be idempotent: a stale attempt writes nothing and returns false.
   */
  complete(
    documentId: string,
    attemptId: string,
    mediaType: string,
    chunks: EmbeddedChunk[],
    partial?: PartialCompletion,
  ): Promise<boolean>;
  fail(documentId: string, attemptId: string, code: ErrorCode, message: string): Promise<boolean>;
  /** Puts the document back to `queued` until `availableAt`, keeping the error for display. */
  scheduleRetry(
    documentId: string,
    attemptId: string,
    code: ErrorCode,
    message: string,
    availableAt: Date,
  ): Promise<boolean>;
  /** Cancels a non-terminal document; returns it, or undefined if it was already terminal or gone. */
  cancel(documentId: string): Promise<DocumentRecord | undefined>;
  /**
   * Puts failed (or cancelled) documents back to `queued` with a fresh attempt budget; a copy queued
   * again is processed in its own right.
   */
  requeue(filter: DocumentFilter & { state: RetryableState }): Promise<DocumentRecord[]>;
  /**
   * Ends the copies waiting for `originalId` as it ended, in one atomic step: `skipped` if it
   * completed; `failed`, with its error code, if it failed; if it was cancelled, the oldest copy is
   * processed in its own right and the others wait for it instead. Returns the copies changed; none
   * while the original runs.
   */
  settleCopies(originalId: string): Promise<DocumentRecord[]>;
  /** Originals that ended while copies still wait for them (a process stopped between the two steps). */
  listStrandedOriginals(): Promise<string[]>;
}
