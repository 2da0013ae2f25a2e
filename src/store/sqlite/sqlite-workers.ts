import type { WorkerRegistry } from '../../ports/worker-registry.js';
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { workerSql } from './sqlite-sql.js';

interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  started_at: string;
  last_seen_at: string;
}

/** Worker processes by their heartbeats, so that status can tell running attempts from stalled ones. */
export function createSqliteWorkers({ stmt }: SqliteContext): Synchronous<WorkerRegistry> {
  return {
    recordWorkerHeartbeat(worker) {
      stmt(workerSql.heartbeat).run(worker);
    },
    listLiveWorkers(withinMs) {
      const since = new Date(Date.now() - withinMs).toISOString();
      // Rows of workers gone for a day are noise; prune them as a side effect of looking.
      stmt(workerSql.deleteUnseenSince).run(new Date(Date.now() - 86_400_000).toISOString());
      return stmt<[string], WorkerRow>(workerSql.seenSince)
        .all(since)
        .map((r) => ({ id: r.id, host: r.host, pid: r.pid, startedAt: r.started_at, lastSeenAt: r.last_seen_at }));
    },
    removeWorker(id) {
      stmt(workerSql.delete).run(id);
    },
  };
}
