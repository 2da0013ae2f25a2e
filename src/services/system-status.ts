import type { DocumentState } from '../core/states.js';
import type { JobQueue, QueueStats } from '../ports/queue.js';
import type { Store, WorkerInfo } from '../ports/store.js';

export interface SystemStatus {
  workers: WorkerInfo[];
  queue: QueueStats;
  documents: Partial<Record<DocumentState, number>>;
  /** Documents completed in the last minute and the last five, across all workers. */
  throughput: { lastMinute: number; lastFiveMinutes: number };
}

/** What `sluice status`, `GET /v1/status` and readiness report: who works, what waits, how fast. */
export async function getSystemStatus(
  deps: { store: Store; queue: JobQueue },
  options: { liveWithinMs: number },
): Promise<SystemStatus> {
  const now = Date.now();
  const [workers, queue, documents, lastMinute, lastFiveMinutes] = await Promise.all([
    deps.store.listLiveWorkers(options.liveWithinMs),
    deps.queue.stats(),
    deps.store.countDocumentsByState(),
    deps.store.countCompletedSince(new Date(now - 60_000)),
    deps.store.countCompletedSince(new Date(now - 300_000)),
  ]);
  return { workers, queue, documents, throughput: { lastMinute, lastFiveMinutes } };
}
