import { getSystemStatus } from '../services/system-status.js';
import { workersLiveWithinMs } from '../services/worker-liveness.js';
import type { CommonFlags } from './command-config.js';
import { print } from './output.js';
import { withAdapters } from './with-adapters.js';

export interface StatusFlags extends CommonFlags {
  json?: boolean;
}

/** `sluice status`: what the ledger and the queue say now, read without building the whole app. */
export async function runStatus(flags: StatusFlags): Promise<void> {
  process.exitCode = await withAdapters(
    flags,
    async ({ config, store, queue }) => {
      // No `self`: this process runs no worker, so every live one belongs to another process.
      // An embedded server's queue lives in its own process: this one reads its depths off the ledger.
      const status = await getSystemStatus(
        { store, queue },
        { liveWithinMs: workersLiveWithinMs, queueFromLedger: !queue.shared },
      );
      if (flags.json) {
        print(JSON.stringify(status, null, 2));
        return 0;
      }
      const mode = `${config.databaseUrl ? 'postgres' : 'sqlite'} ledger, ${queue.shared ? 'redis queue' : 'in-process queue, read off the ledger'}`;
      print(`Sluice status (${mode})`);
      print(`workers: ${status.workers.length} live`);
      for (const w of status.workers) {
        print(`  ${w.id}  ${w.host} pid ${w.pid}  up since ${w.startedAt}  last seen ${w.lastSeenAt}`);
      }
      const q = status.queue;
      print(`queue: ${q.waiting} waiting, ${q.active} active, ${q.delayed} delayed, ${q.failed} failed`);
      const documents = Object.entries(status.documents).map(([state, n]) => `${state} ${n ?? 0}`);
      print(`documents: ${documents.length > 0 ? documents.join(', ') : 'none'}`);
      const w = status.waiting;
      const age = (since: string | null): string =>
        since ? `, oldest waiting ${Math.round((Date.now() - Date.parse(since)) / 1000)} s` : '';
      print(`waiting for a worker: ${w.forWorker.documents}${age(w.forWorker.oldestSince)}`);
      print(`waiting for their tenant's share: ${w.forTenantShare.documents}${age(w.forTenantShare.oldestSince)}`);
      print(
        `waiting to retry: ${w.retrying.documents}${w.retrying.nextRetryAt ? `, next at ${w.retrying.nextRetryAt}` : ''}`,
      );
      print(`stalled (worker gone): ${status.stalled.length}`);
      for (const s of status.stalled.slice(0, 20)) {
        print(`  ${s.documentId}  ${s.state} since ${s.since}  worker ${s.workerId ?? 'unknown'}`);
      }
      print(
        `throughput: ${status.throughput.lastMinute} completed in the last minute, ${status.throughput.lastFiveMinutes} in the last 5`,
      );
      const { disk, lastSweep } = status;
      const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
      const tally = (t: { files: number; bytes: number } | null): string =>
        t ? `${mb(t.bytes)} (${t.files} files)` : 'not measured yet';
      print(`disk: database ${mb(disk.databaseBytes)}, raw files ${tally(disk.blobs)}, staging ${tally(disk.staging)}`);
      print(
        lastSweep
          ? `last sweep ${lastSweep.at}: removed ${lastSweep.blobs.removed} raw files (${mb(lastSweep.blobs.bytes)}), ` +
              `${lastSweep.staging.files} staging files, ${lastSweep.rows.events} events, ${lastSweep.rows.idempotencyKeys} idempotency records, ` +
              `${lastSweep.rows.batches} batches${lastSweep.errors.length > 0 ? `; not done: ${lastSweep.errors.join('; ')}` : ''}`
          : 'last sweep: none yet (workers sweep every SLUICE_SWEEP_INTERVAL_MS; `sluice gc` sweeps now)',
      );
      return 0;
    },
    { needsData: true },
  );
}
