import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { BatchHandler, BatchResult, DocumentJob, FanIn, JobHandler, JobOutcome } from '../../ports/queue.js';

/** The handlers `start()` was given; read at each call, as `start()` sets them. */
export interface LocalHandlers {
  job?: JobHandler;
  batches?: BatchHandler | undefined;
}

/**
 * Calls the handler, running any batches it fans out here, one after another (in one process they
 * would only compete for the same thread), until it answers done or retry.
 */
export async function runToEnd(handlers: LocalHandlers, job: DocumentJob, signal: AbortSignal): Promise<JobOutcome> {
  let fanIn: FanIn | undefined;
  for (;;) {
    const outcome = await (handlers.job as JobHandler)(job, signal, fanIn);
    if (outcome.kind !== 'fanOut') {
      return outcome;
    }
    const batchHandler = handlers.batches;
    if (!batchHandler) {
      throw new Error('the handler fanned out batches, but no batch handler was given to start()');
    }
    const results: BatchResult[] = [];
    for (const batch of outcome.batches) {
      if (signal.aborted) {
        return { kind: 'done' };
      }
      const result = await batchHandler(batch, signal);
      results.push(result);
      // A batch may finish without one wait on I/O (an embedder that computes in this thread, a
      // store that answers synchronously): without a turn of the event loop between batches, a
      // document's whole embedding would run as one task while uploads and searches wait (BENCH.md).
      await yieldToEventLoop();
      // Unless the document may be published without failed chunks, the attempt is lost with its
      // first failed batch: the rest would be embedded for nothing (and a failing API hit again).
      if (result.kind === 'failed' && !outcome.keepGoingAfterFailure) {
        break;
      }
    }
    fanIn = { attemptId: outcome.attemptId, mediaType: outcome.mediaType, batches: outcome.batches.length, results };
  }
}
