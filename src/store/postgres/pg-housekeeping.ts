import type { Housekeeping, SweepReport } from '../../ports/housekeeping.js';
import { changed, type PgContext } from './pg-context.js';
import { housekeepingSql } from './pg-sql.js';

/**
 * Retention, leases and the sweeps' reports. PostgreSQL keeps a deleted row's bytes in its table's
 * pages until VACUUM makes the space reusable and later writes reuse it; compaction runs VACUUM on the
 * tables that hold text, which does not overwrite the freed space (see the README's "Deleting data").
 */
export function createPgHousekeeping({ pool, transaction, count, one }: PgContext): Housekeeping {
  return {
    async prune(cutoffs) {
      return transaction(async (client) => {
        const batches = (await client.query(housekeepingSql.pruneBatches, [cutoffs.batches])).rowCount ?? 0;
        const events =
          ((await client.query(housekeepingSql.pruneEvents, [cutoffs.events])).rowCount ?? 0) +
          ((await client.query(housekeepingSql.pruneOrphanEvents)).rowCount ?? 0);
        const idempotencyKeys =
          (await client.query(housekeepingSql.pruneIdempotency, [cutoffs.idempotency])).rowCount ?? 0;
        await client.query(housekeepingSql.pruneHolds);
        await client.query(housekeepingSql.pruneStaged);
        return { events, idempotencyKeys, batches };
      });
    },
    async compact() {
      const done: string[] = [];
      const notDone: string[] = [];
      for (const table of ['chunks', 'documents', 'events']) {
        try {
          await pool.query(`VACUUM ${table}`);
          done.push(`VACUUM ${table}`);
        } catch (error) {
          notDone.push(`VACUUM ${table}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return { done, notDone };
    },
    databaseBytes: () => count(housekeepingSql.databaseBytes),
    async tryLease(name, holder, ttlMs) {
      return changed(await pool.query(housekeepingSql.takeLease, [name, holder, ttlMs]));
    },
    async releaseLease(name, holder) {
      await pool.query(housekeepingSql.releaseLease, [name, holder]);
    },
    async leaseHolder(name) {
      return (await one<{ holder: string }>(housekeepingSql.leaseHolder, [name]))?.holder;
    },
    async recordSweep(report) {
      await pool.query(housekeepingSql.recordSweep, [JSON.stringify(report)]);
    },
    async lastSweep() {
      const row = await one<{ report: string }>(housekeepingSql.lastSweep);
      return row && (JSON.parse(row.report) as SweepReport);
    },
  };
}
