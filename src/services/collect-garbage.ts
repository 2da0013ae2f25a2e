import type { BlobStore } from '../ports/blob-store.js';
import type { Logger } from '../ports/logger.js';
import type { BlobReferences, Housekeeping, SweepReport } from '../ports/store.js';

import { namesDeadProcess, processName } from './process-exists.js';

export type { SweepReport } from '../ports/store.js';

export interface GarbageDependencies {
  store: BlobReferences & Housekeeping;
  blobs: BlobStore;
  logger: Logger;
}

/** How long each kind of bookkeeping is kept, in milliseconds. */
export interface RetentionSettings {
  eventsMs: number;
  idempotencyMs: number;
  batchesMs: number;
  /** Staging files untouched this long are removed even if their process still runs. */
  stagingMaxAgeMs: number;
}

/**
 * How long an upload's hold keeps its raw files from collection if it is never released (its process
 * died between storing them and recording their documents): far longer than recording takes.
 */
export const blobHoldMs = 15 * 60_000;

/**
 * Releases an upload's hold, then removes whichever of its files nothing refers to any more: one a
 * concurrent upload replaced by a new version while this hold kept it, say.
 */
export async function releaseHold(deps: GarbageDependencies, holdId: string, keys: readonly string[]): Promise<void> {
  // A hold that cannot be released lapses on its own; the request it served is not failed for it.
  try {
    await deps.store.releaseBlobHold(holdId);
    await collectBlobs(deps, keys);
  } catch (error) {
    deps.logger.warn({ err: error }, 'an upload hold left to lapse; its files are left for the next sweep');
  }
}

/** Blobs asked about at once. */
const page = 500;
/**
 * The sweeper's lease lasts this long unless renewed (it is, page by page): a sweeper on another
 * host that died holding it is replaced after it; one of this host, as soon as its process is gone.
 */
const leaseMs = 60_000;

/** This process, as leases and holds name their holder: `<host>/<pid>`. */
/** A lease holder's name says which process holds it: `<host>/<pid>/<id>`. */
const holderName = (id: string): string => `${processName()}/${id}`;

/** Keeps `keys` from collection while an upload stores them and records their documents. */
export function holdBlobs(deps: Pick<GarbageDependencies, 'store'>, keys: readonly string[]): Promise<string> {
  return deps.store.holdBlobs(keys, blobHoldMs, processName());
}

/** Releases the holds of uploads whose process died before it could (on another host, they lapse). */
async function releaseHoldsOfTheDead(store: BlobReferences): Promise<number> {
  const dead = (await store.blobHolds()).filter(namesDeadProcess);
  for (const holdId of dead) {
    await store.releaseBlobHold(holdId);
  }
  return dead.length;
}

/** Takes the sweeper's lease, from a process of this host that died holding it if need be. */
async function takeLease(store: Housekeeping, holder: string): Promise<boolean> {
  if (await store.tryLease('sweeper', holder, leaseMs)) {
    return true;
  }
  const current = await store.leaseHolder('sweeper');
  if (current && namesDeadProcess(current)) {
    await store.releaseLease('sweeper', current);
    return store.tryLease('sweeper', holder, leaseMs);
  }
  return false;
}

/**
 * Removes the raw files of `keys` that nothing refers to any more: called right after documents are
 * deleted. Each file is asked about again once no new reader can find it (`BlobStore.remove`), so an
 * upload of the same bytes meanwhile keeps it. What a crash interrupts, the next sweep finishes.
 */
export async function collectBlobs(deps: GarbageDependencies, keys: readonly string[]): Promise<number> {
  let removed = 0;
  for (const key of await deps.store.unreferencedBlobs(keys)) {
    if (await removeIfStillUnused(deps, key)) {
      removed++;
    }
  }
  return removed;
}

/** Removes a blob the ledger found unused, asking once more when no new reader can find it. */
const removeIfStillUnused = (deps: GarbageDependencies, key: string): Promise<boolean> =>
  deps.blobs.remove(key, async () => (await deps.store.unreferencedBlobs([key])).length === 1);

async function sweepBlobs(deps: GarbageDependencies, holder: string): Promise<SweepReport['blobs']> {
  const tally = { removed: 0, bytes: 0, kept: 0 };
  const sweepPage = async (entries: { key: string; sizeBytes: number }[]): Promise<void> => {
    if (!(await deps.store.tryLease('sweeper', holder, leaseMs))) {
      throw new Error('the sweep lost its lease to another process');
    }
    const unused = new Set(await deps.store.unreferencedBlobs(entries.map((entry) => entry.key)));
    for (const entry of entries) {
      if (unused.has(entry.key) && (await removeIfStillUnused(deps, entry.key))) {
        tally.removed++;
        tally.bytes += entry.sizeBytes;
      } else {
        tally.kept++;
      }
    }
  };
  let entries: { key: string; sizeBytes: number }[] = [];
  for await (const entry of deps.blobs.list()) {
    entries.push(entry);
    if (entries.length === page) {
      await sweepPage(entries);
      entries = [];
    }
  }
  await sweepPage(entries);
  return tally;
}

/** Runs `step`, or records why it could not and answers `fallback`. */
async function attempt<T>(errors: string[], what: string, step: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await step();
  } catch (error) {
    errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return fallback;
  }
}

/**
 * One sweep: bookkeeping past its retention, staging files of dead uploads, raw files nothing refers
 * to, and, with `compact`, the database's own leftovers of deleted rows (see `Housekeeping.compact`).
 * At most one sweep runs at a time across every process sharing the store: undefined if another holds
 * the lease. Whatever fails is reported, and the rest still runs.
 */
export async function sweep(
  deps: GarbageDependencies,
  retention: RetentionSettings,
  options: { holder: string; compact?: boolean },
): Promise<SweepReport | undefined> {
  const holder = holderName(options.holder);
  if (!(await takeLease(deps.store, holder))) {
    return undefined;
  }
  try {
    const started = Date.now();
    const errors: string[] = [];
    const before = (ms: number): Date => new Date(started - ms);
    const rows = await attempt(
      errors,
      'retention',
      () =>
        deps.store.prune({
          events: before(retention.eventsMs),
          idempotency: before(retention.idempotencyMs),
          batches: before(retention.batchesMs),
        }),
      { events: 0, idempotencyKeys: 0, batches: 0 },
    );
    const none = { files: 0, bytes: 0 };
    const staging = await attempt(
      errors,
      'staging files',
      () => deps.blobs.sweepStaging(retention.stagingMaxAgeMs),
      none,
    );
    await attempt(errors, 'holds of dead uploads', () => releaseHoldsOfTheDead(deps.store), 0);
    const blobs = await attempt(errors, 'raw files', () => sweepBlobs(deps, holder), { removed: 0, bytes: 0, kept: 0 });
    const compaction = options.compact
      ? await attempt(errors, 'compaction', () => deps.store.compact(), undefined)
      : undefined;
    const usage = await attempt(errors, 'disk usage', () => deps.blobs.usage(), { blobs: none, staging: none });
    const databaseBytes = await attempt(errors, 'database size', () => deps.store.databaseBytes(), 0);
    const report: SweepReport = {
      at: new Date().toISOString(),
      ms: Date.now() - started,
      blobs,
      staging,
      rows,
      ...(compaction ? { compaction } : {}),
      disk: { ...usage, databaseBytes },
      errors,
    };
    await attempt(errors, 'recording the report', () => deps.store.recordSweep(report), undefined);
    return report;
  } finally {
    await deps.store.releaseLease('sweeper', holder);
  }
}

/**
 * Sweeps every `intervalMs` (0: never) in the background, as workers do; the first sweep comes one
 * interval after start. Failures are logged, never thrown.
 */
export function startSweeper(
  deps: GarbageDependencies,
  retention: RetentionSettings,
  options: { holder: string; intervalMs: number },
): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const timer =
    options.intervalMs > 0
      ? setInterval(() => {
          // A sweep that takes longer than the interval is not joined by another.
          if (running) {
            return;
          }
          running = sweep(deps, retention, { holder: options.holder })
            .then((report) => {
              if (report && (report.blobs.removed > 0 || report.staging.files > 0 || report.errors.length > 0)) {
                deps.logger.info({ sweep: report }, 'swept');
              }
            })
            .catch((error: unknown) => deps.logger.error({ err: error }, 'the sweep failed'))
            .finally(() => {
              running = undefined;
            });
        }, options.intervalMs)
      : undefined;
  timer?.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
