import { hostname } from 'node:os';
import { runningStates, type DocumentState } from '../core/states.js';
import { processExists } from './process-exists.js';
import type { DocumentRecord } from '../core/types.js';
import type { JobQueue, QueueStats } from '../ports/queue.js';
import type { FileTally } from '../ports/blob-store.js';
import type { Store, SweepReport, WaitingSummary, WorkerInfo } from '../ports/store.js';

/** A document held in a running state by a worker process that is no longer alive. */
export interface StalledDocument {
  documentId: string;
  state: DocumentState;
  workerId: string | null;
  /** When the document last moved (ISO). */
  since: string;
}

export interface SystemStatus {
  workers: WorkerInfo[];
  queue: QueueStats;
  documents: Partial<Record<DocumentState, number>>;
  /** Documents completed in the last minute and the last five, across all workers. */
  throughput: { lastMinute: number; lastFiveMinutes: number };
  /** What queued documents wait for (a worker, their tenant's share, a retry), with the oldest's start. */
  waiting: WaitingSummary;
  /** Documents whose worker died mid-attempt: the queue gives them to another worker within seconds. */
  stalled: StalledDocument[];
  /** Bytes on disk: the database now; raw files and staging files as the last sweep found them. */
  disk: { databaseBytes: number; blobs: FileTally | null; staging: FileTally | null };
  /** The last sweep any process ran, or null before the first. */
  lastSweep: SweepReport | null;
}

/**
 * Workers that sent a heartbeat recently, less those of this machine whose process is gone: a worker
 * killed a moment ago still has a fresh heartbeat, and its documents should not wait for it to age.
 * A worker of this machine with this process's pid but another id is this process's previous life (a
 * container restarted keeps its host name, and its first process is pid 1 again).
 */
function aliveWorkers(live: WorkerInfo[], self?: string): WorkerInfo[] {
  const here = hostname();
  return live.filter((w) => w.host !== here || (w.pid === process.pid ? w.id === self : processExists(w.pid)));
}

/**
 * Running documents whose worker is gone: the attempt was claimed by a worker that is not alive. An
 * attempt recorded without its worker (by an older version) counts as stalled once it has not moved
 * for `liveWithinMs`, or at once with `unknownIsStalled` (a process starting on its own ledger).
 */
function findStalled(
  running: DocumentRecord[],
  alive: WorkerInfo[],
  options: { liveWithinMs: number; unknownIsStalled?: boolean; now?: number },
): DocumentRecord[] {
  const ids = new Set(alive.map((w) => w.id));
  const now = options.now ?? Date.now();
  return running.filter((doc) =>
    doc.workerId
      ? !ids.has(doc.workerId)
      : options.unknownIsStalled === true || now - Date.parse(doc.updatedAt) > options.liveWithinMs,
  );
}

/**
 * The live workers, and the running documents whose worker is gone, as the ledger tells them now.
 * `self` is this process's worker id, if it runs workers.
 */
export async function findStalledDocuments(
  store: Store,
  options: { liveWithinMs: number; self?: string | undefined; unknownIsStalled?: boolean; now?: number },
): Promise<{ workers: WorkerInfo[]; stalled: DocumentRecord[] }> {
  const [running, live] = await Promise.all([store.listRunning(), store.listLiveWorkers(options.liveWithinMs)]);
  const workers = aliveWorkers(live, options.self);
  return { workers, stalled: findStalled(running, workers, options) };
}

/** What `sluice status`, `GET /v1/status` and readiness report: who works, what waits, how fast, what is stuck. */
export async function getSystemStatus(
  deps: { store: Store; queue: JobQueue },
  options: {
    liveWithinMs: number;
    /** This process's worker id, if it runs workers. */
    self?: string | undefined;
    /**
     * The queue's depths as the ledger tells them: for a process beside the one whose in-process queue
     * holds the jobs (`sluice status` beside an embedded `sluice serve`), whose own queue is empty.
     */
    queueFromLedger?: boolean;
  },
): Promise<SystemStatus> {
  const now = Date.now();
  const [{ workers, stalled: held }, queue, documents, lastMinute, lastFiveMinutes, waiting, databaseBytes, lastSweep] =
    await Promise.all([
      findStalledDocuments(deps.store, { ...options, now }),
      deps.queue.stats(),
      deps.store.countDocumentsByState(),
      deps.store.countCompletedSince(new Date(now - 60_000)),
      deps.store.countCompletedSince(new Date(now - 300_000)),
      deps.store.summarizeWaiting(),
      deps.store.databaseBytes(),
      deps.store.lastSweep(),
    ]);
  const stalled = held.map((doc) => ({
    documentId: doc.id,
    state: doc.state,
    workerId: doc.workerId,
    since: doc.updatedAt,
  }));
  const disk = { databaseBytes, blobs: lastSweep?.disk.blobs ?? null, staging: lastSweep?.disk.staging ?? null };
  return {
    workers,
    queue: options.queueFromLedger === true ? ledgerQueueStats(documents, waiting) : queue,
    documents,
    throughput: { lastMinute, lastFiveMinutes },
    waiting,
    stalled,
    disk,
    lastSweep: lastSweep ?? null,
  };
}

/**
 * An in-process queue's depths read off the ledger: documents handed to it and waiting for a worker,
 * those running, those waiting out a retry's backoff. It keeps no failed jobs (failures are the ledger's).
 */
function ledgerQueueStats(documents: Partial<Record<DocumentState, number>>, waiting: WaitingSummary): QueueStats {
  return {
    waiting: waiting.forWorker.documents,
    active: runningStates.reduce((sum, state) => sum + (documents[state] ?? 0), 0),
    delayed: waiting.retrying.documents,
    failed: 0,
  };
}
