import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Housekeeping, SweepReport } from '../../ports/housekeeping.js';
import { retryWhileBusy } from './busy-retry.js';
import { busyTimeoutMs, type SqliteContext, type Synchronous } from './sqlite-context.js';
import { collectionTables, vectorChunkSize, vectorTableSql } from './sqlite-migrations.js';
import { housekeepingSql } from './sqlite-housekeeping-sql.js';
import { vectorChangeSql } from './sqlite-sql.js';

/** `PRAGMA auto_vacuum` of a file whose free pages `incremental_vacuum` hands back. */
const incrementalVacuum = 2;

/** Rows of the vector change log compaction keeps. */
const vectorChangesKeptAfterCompaction = 1_000;

/** How long compaction keeps trying to truncate a write-ahead log that readers are still in. */
const checkpointPatienceMs = 5_000;

const fileBytes = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

/** Retention, leases and the sweeps' reports; compaction is `createSqliteCompaction`. */
export function createSqliteHousekeeping({ db, stmt, now }: SqliteContext): Synchronous<Omit<Housekeeping, 'compact'>> {
  const prune = db.transaction((cutoffs: { events: string; idempotency: string; batches: string; now: string }) => {
    const batches = stmt(housekeepingSql.pruneBatches).run(cutoffs.batches).changes;
    const events =
      stmt(housekeepingSql.pruneEvents).run(cutoffs.events).changes +
      stmt(housekeepingSql.pruneOrphanEvents).run().changes;
    const idempotencyKeys = stmt(housekeepingSql.pruneIdempotency).run(cutoffs.idempotency).changes;
    stmt(housekeepingSql.pruneHolds).run(cutoffs.now);
    stmt(housekeepingSql.pruneStaged).run();
    return { events, idempotencyKeys, batches };
  });
  return {
    prune(cutoffs) {
      return prune.immediate({
        events: cutoffs.events.toISOString(),
        idempotency: cutoffs.idempotency.toISOString(),
        batches: cutoffs.batches.toISOString(),
        now: now(),
      });
    },
    databaseBytes() {
      return db.memory ? 0 : fileBytes(db.name) + fileBytes(`${db.name}-wal`);
    },
    tryLease(name, holder, ttlMs) {
      const at = now();
      const expiresAt = new Date(Date.now() + ttlMs).toISOString();
      return stmt(housekeepingSql.takeLease).run(name, holder, expiresAt, at).changes === 1;
    },
    releaseLease(name, holder) {
      stmt(housekeepingSql.releaseLease).run(name, holder);
    },
    leaseHolder(name) {
      return stmt<[string, string], string>(housekeepingSql.leaseHolder).pluck().get(name, now());
    },
    recordSweep(report) {
      stmt(housekeepingSql.recordSweep).run(JSON.stringify(report), now());
    },
    lastSweep() {
      const report = stmt<[], string>(housekeepingSql.lastSweep).pluck().get();
      return report === undefined ? undefined : (JSON.parse(report) as SweepReport);
    },
  };
}

/**
 * Deleted rows are overwritten as they are deleted (`secure_delete`), but a full-text index keeps a
 * deleted row's terms in its segments until they are merged, and the write-ahead log keeps old page
 * images until it is checkpointed: this merges every collection's index and truncates the log.
 */
export function createSqliteCompaction({
  db,
  stmt,
  searchStmt,
  gate,
  vectorChangesKept,
}: SqliteContext): Housekeeping['compact'] {
  return async () => {
    const done: string[] = [];
    const notDone: string[] = [];
    if (db.memory) {
      return { done, notDone };
    }
    const collections = stmt<[], { id: string; dimension: number }>(housekeepingSql.collections).all();
    let rebuilt = 0;
    for (const { id, dimension } of collections) {
      const { vectors, fullText } = collectionTables(id);
      await retryWhileBusy(
        () => db.prepare(`INSERT INTO ${fullText}(${fullText}) VALUES ('optimize')`).run(),
        busyTimeoutMs,
        gate,
      );
      // sqlite-vec frees a chunk of its storage only once every vector in it is deleted: a table whose
      // gaps add up to a chunk, or a tenth of its vectors, is rewritten without them.
      const slots = (db.prepare(housekeepingSql.vectorChunks(vectors)).pluck().get() as number) * vectorChunkSize;
      const live = db.prepare(housekeepingSql.vectorRows(vectors)).pluck().get() as number;
      if (slots - live >= Math.max(vectorChunkSize, live / 10)) {
        const steps = housekeepingSql.rebuildVectors(vectors, vectorTableSql(vectors, dimension));
        await retryWhileBusy(
          () => db.transaction(() => steps.forEach((sql) => db.exec(sql))).immediate(),
          busyTimeoutMs,
          gate,
        );
        rebuilt++;
      }
    }
    if (rebuilt > 0) {
      stmt.clear();
      searchStmt.clear();
    }
    done.push(`full-text indexes merged: ${collections.length}; vector tables rebuilt without their gaps: ${rebuilt}`);
    // Searching processes further behind than this load their collection afresh.
    const kept = Math.min(vectorChangesKept, vectorChangesKeptAfterCompaction);
    await retryWhileBusy(() => stmt(vectorChangeSql.prune).run(kept), busyTimeoutMs, gate);
    const free = db.pragma('freelist_count', { simple: true }) as number;
    if ((db.pragma('auto_vacuum', { simple: true }) as number) === incrementalVacuum) {
      await retryWhileBusy(() => db.pragma('incremental_vacuum'), busyTimeoutMs, gate);
      done.push(`free pages handed back to the file system: ${free}`);
    } else if (free > 0) {
      // Only VACUUM could change that, and it may renumber the rows of sqlite-vec's tables.
      notDone.push(
        `${free} free pages stay in the file (it was made before Sluice handed them back); they are reused, and were overwritten`,
      );
    }
    const deadline = Date.now() + checkpointPatienceMs;
    for (;;) {
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (result?.busy === 0) {
        done.push('write-ahead log checkpointed and truncated');
        break;
      }
      if (Date.now() > deadline) {
        notDone.push('the write-ahead log was in use throughout: run `sluice gc` again when ingestion is idle');
        break;
      }
      await sleep(50);
    }
    return { done, notDone };
  };
}
