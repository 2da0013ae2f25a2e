import type { WorkerRegistry } from '../../ports/worker-registry.js';
import type { PgContext } from './pg-context.js';
import { workerSql } from './pg-sql.js';

interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  started_at: string;
  last_seen_at: string;
}

/** Worker processes by their heartbeats, so status can tell a running attempt from a stalled one. */
export function createPgWorkerRegistry({ pool, query }: PgContext): WorkerRegistry {
  return {
    async recordWorkerHeartbeat(worker) {
      await pool.query(workerSql.heartbeat, [worker.id, worker.host, worker.pid, worker.startedAt, worker.lastSeenAt]);
    },
    async listLiveWorkers(withinMs) {
      // Rows of workers gone for a day are noise; prune them as a side effect of looking.
      await pool.query(workerSql.pruneGone);
      const rows = await query<WorkerRow>(workerSql.seenSince, [new Date(Date.now() - withinMs)]);
      return rows.map((r) => ({
        id: r.id,
        host: r.host,
        pid: r.pid,
        startedAt: r.started_at,
        lastSeenAt: r.last_seen_at,
      }));
    },
    async removeWorker(id) {
      await pool.query(workerSql.remove, [id]);
    },
  };
}
