import { documentStateEvent } from '../core/document-events.js';
import { SluiceError } from '../core/errors.js';
import type { DocumentRecord } from '../core/types.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { JobHandler, JobQueue } from '../ports/queue.js';
import type { Store, WorkerInfo } from '../ports/store.js';
import type { Dispatcher } from './dispatch-documents.js';
import type { createDocumentProcessor } from './process-document.js';
import { reconcileQueue } from './reconcile-queue.js';
import { settleCopiesOf, settleStrandedCopies, type SettleDependencies } from './settle-copies.js';
import { findStalledDocuments } from './system-status.js';
import { heartbeatMs, workersLiveWithinMs } from './worker-liveness.js';

// Apart, so that `sluice status` reads them without loading the worker runtime.
export { heartbeatMs, workersLiveWithinMs } from './worker-liveness.js';
/** Documents in flight a reconciliation tick compares with the queue: a tick's work stays bounded. */
const reconcilePage = 1000;

export interface WorkerRuntimeDeps {
  store: Store;
  queue: JobQueue;
  events: EventBus;
  logger: Logger;
  dispatcher: Dispatcher;
  processor: ReturnType<typeof createDocumentProcessor>;
}

export interface WorkerRuntimeOptions {
  identity: Omit<WorkerInfo, 'lastSeenAt'>;
  /** Documents processed at once. */
  concurrency: number;
  /** How long a worker's hold on a shared queue's job lasts: documents quiet for three of them have lost theirs. */
  lockDurationMs: number;
}

/**
 * What drives this process's workers around the pipeline: the queue's handler (which refills its
 * tenant's share when a document leaves), the heartbeat, and the reconciliation of the ledger with the
 * queue at start and, optionally, every few seconds.
 */
export function createWorkerRuntime(deps: WorkerRuntimeDeps, options: WorkerRuntimeOptions) {
  const { store, queue, logger, dispatcher, processor } = deps;
  const settle = { store, events: deps.events, dispatcher };
  let heartbeat: NodeJS.Timeout | undefined;
  let ledgerPoll: NodeJS.Timeout | undefined;
  let started = false;

  // A document that leaves the queue frees a slot of its tenant's share: the next one goes in.
  const documentHandler: JobHandler = async (job, signal, fanIn) => {
    const outcome = await processor.document(job, signal, fanIn);
    if (outcome.kind === 'done') {
      const doc = await store.getDocument(job.documentId);
      if (doc) {
        await dispatcher
          .collection(doc.collectionId)
          .catch((error: unknown) =>
            logger.error({ err: error, documentId: doc.id }, 'dispatch after a finished document failed'),
          );
      }
    }
    return outcome;
  };

  const stalledDocuments = async (atStart: boolean): Promise<Set<string>> => {
    const { stalled } = await findStalledDocuments(store, {
      liveWithinMs: workersLiveWithinMs,
      self: options.identity.id,
      unknownIsStalled: atStart,
    });
    return new Set(stalled.map((doc) => doc.id));
  };

  // A shared queue survives restarts and knows every worker's jobs: only documents it lost need a
  // job, and only once they have been quiet for a while. The in-process queue starts empty: it
  // takes every queued document, and every running one whose worker process is gone (this
  // process's previous life, after a crash; or another process sharing the ledger that died),
  // never one a live process is running. Then every tenant with documents waiting gets its free
  // slots filled, which also picks up any dispatch a process died before making.
  // At start, every page of the documents in flight; then one page a tick, going round.
  let after: string | undefined;
  const reconcile = async (atStart: boolean): Promise<DocumentRecord[]> => {
    const rules = queue.shared
      ? { settleMs: 3 * options.lockDurationMs, includeRunning: true }
      : { settleMs: 0, includeRunning: false, stalled: await stalledDocuments(atStart) };
    const orphans: DocumentRecord[] = [];
    do {
      const found = await reconcileQueue(
        { store, queue },
        { ...rules, limit: reconcilePage, ...(after !== undefined ? { after } : {}) },
      );
      orphans.push(...found.orphans);
      after = found.next;
    } while (atStart && after !== undefined);
    await settleStrandedCopies(settle);
    await dispatcher.all();
    return orphans;
  };

  return {
    get started(): boolean {
      return started;
    },
    /**
     * Starts the queue's workers and gives a job to every unfinished document of the ledger that has
     * none; with `pollLedgerMs` (by default with a shared queue), keeps doing so. Returns how many
     * documents were resumed.
     */
    async start(startOptions: { pollLedgerMs?: number } = {}): Promise<number> {
      queue.start(documentHandler, { concurrency: options.concurrency, batches: processor.batches });
      started = true;
      const beat = (): Promise<void> =>
        store.recordWorkerHeartbeat({ ...options.identity, lastSeenAt: new Date().toISOString() });
      await beat();
      heartbeat = setInterval(() => {
        beat().catch((error: unknown) => logger.error({ err: error }, 'worker heartbeat failed'));
      }, heartbeatMs);
      const resumed = (await reconcile(true)).length;
      if (resumed > 0) {
        logger.info({ documents: resumed }, 'resumed unfinished documents');
      }
      const pollMs = startOptions.pollLedgerMs ?? (queue.shared ? 5 * heartbeatMs : undefined);
      if (pollMs) {
        ledgerPoll = setInterval(() => {
          reconcile(false)
            .then(
              (found) =>
                found.length > 0 && logger.info({ documents: found.length }, 'queued documents that had no job'),
            )
            .catch((error: unknown) => logger.error({ err: error }, 'ledger poll failed'));
        }, pollMs);
      }
      return resumed;
    },
    /** Stops the heartbeat and the ledger poll, before the queue is closed by its owner. */
    stop(): void {
      clearInterval(ledgerPoll);
      clearInterval(heartbeat);
    },
    /** Forgets this worker in the ledger, once its jobs are handed back. */
    async deregister(): Promise<void> {
      if (started) {
        await store.removeWorker(options.identity.id);
      }
    },
  };
}

export type WorkerRuntime = ReturnType<typeof createWorkerRuntime>;

/**
 * The queue failed a job by itself (BullMQ, when its worker died mid-job too often): the ledger must
 * say so too, or the document would stay running forever.
 */
export function recordLostJob(deps: SettleDependencies & { store: Store; logger: Logger }) {
  return (documentId: string, reason: string): void => {
    void (async () => {
      const doc = await deps.store.getDocument(documentId);
      if (doc?.attemptId) {
        const error = new SluiceError('worker_crashed', `The document's worker stopped without finishing (${reason})`);
        if (await deps.store.fail(doc.id, doc.attemptId, error.code, error.message)) {
          await deps.events.publish(documentStateEvent(doc, 'failed', error));
          await settleCopiesOf(deps, doc.id);
        }
      }
    })().catch((error: unknown) => deps.logger.error({ err: error, documentId }, 'could not record a lost job'));
  };
}
