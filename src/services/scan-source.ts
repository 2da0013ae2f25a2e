import pLimit from 'p-limit';
import { SluiceError, isSluiceError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Batch, Collection } from '../core/types.js';
import type { ObjectSource, SourceObject } from '../ports/object-source.js';
import { scanSilenceMs, type ScanReport, type SourceRecord } from '../ports/source-store.js';
import { deleteDocument, type DeleteDependencies } from './delete-data.js';
import { releaseHold } from './collect-garbage.js';
import { namesDeadProcess, processName } from './process-exists.js';
import { acceptFile, receiveFile, type IngestDependencies, type SubmitOutcome } from './ingest-service.js';
import { keyFilter } from './key-patterns.js';

export type ScanDependencies = IngestDependencies & DeleteDependencies;

export interface ScanInput {
  source: SourceRecord;
  objects: ObjectSource;
  collection: Collection;
  /** The batch the scan's documents join; created beforehand so watchers can follow it from the first. */
  batch: Batch;
  priority?: number;
  /** Removes documents whose objects are gone. */
  prune?: boolean;
  maxFileBytes: number;
  signal?: AbortSignal;
  /** Asked before the new or changed objects of a page are read (a tenant's quota); a throw ends the scan. */
  beforeReading?: (objects: readonly SourceObject[]) => Promise<void>;
  /** Told of every document the scan records. */
  onDocument?: (outcome: SubmitOutcome) => void;
}

/** Objects read at once: enough to hide a bucket's latency, few enough that memory holds a part of each. */
const readsAtOnce = 4;
/** How often a running scan says it is alive, so that another process can tell it from one whose process died. */
const heartbeatMs = 15_000;
/** Objects read between two updates of the report. */
const reportEvery = 25;
/** Objects that could not be read that a report names. */
const maxFailuresKept = 20;

/**
 * Scans a source: lists it a page at a time; leaves the objects whose version its documents hold;
 * reads each new or changed one into the blob store and records it in the batch (a changed one takes
 * over its document, and only its changed chunks are embedded again); then, with `prune`, removes the
 * documents of objects no longer listed. The report is kept with the source as the scan goes. Only one
 * scan of a source runs at a time, across processes (`scan_running`): the scan is claimed before this
 * answers, with the report as it starts; `finished` settles when it ends.
 */
/** A new scan's report, before it has listed anything. */
export function startingReport(batchId: string): ScanReport {
  return {
    id: newId('scan'),
    batchId,
    runner: processName(),
    state: 'running',
    startedAt: new Date().toISOString(),
    finishedAt: null,
    listed: 0,
    matched: 0,
    unchanged: 0,
    ingested: 0,
    pruned: 0,
    failed: 0,
    failures: [],
    error: null,
  };
}

/**
 * Whether a source's scan runs now: one whose process of this host is gone does not (it is taken over at
 * once), and one unheard of for `scanSilenceMs` reads as `interrupted` already.
 */
export function scanRunning(scan: ScanReport | null | undefined): boolean {
  return scan?.state === 'running' && !namesDeadProcess(scan.runner);
}

export async function startScan(
  deps: ScanDependencies,
  input: ScanInput,
): Promise<{ report: ScanReport; finished: Promise<ScanReport> }> {
  const { source } = input;
  const report = startingReport(input.batch.id);
  const wanted = keyFilter(source.include, source.exclude);
  // A scan whose process of this host is gone (a killed CLI) is taken over at once, not after its silence.
  const current = (await deps.store.getSource(source.id))?.scan;
  const orphan = current?.state === 'running' && !scanRunning(current) ? current.id : undefined;
  if (!(await deps.store.claimScan(source.id, report, new Date(Date.now() - scanSilenceMs), orphan))) {
    throw new SluiceError('scan_running', `Source ${source.id} is being scanned already; try again when it is done`);
  }
  return { report: { ...report }, finished: runScan(deps, input, report, wanted) };
}

async function runScan(
  deps: ScanDependencies,
  input: ScanInput,
  report: ScanReport,
  wanted: (path: string) => boolean,
): Promise<ScanReport> {
  const { source, objects } = input;
  const stop = new AbortController();
  const signal = input.signal ? AbortSignal.any([input.signal, stop.signal]) : stop.signal;
  let beat: Promise<unknown> = Promise.resolve();
  const heartbeat = setInterval(() => {
    beat = deps.store.updateScan(source.id, report).then(
      (ours) => ours || stop.abort(new SluiceError('scan_running', 'Another scan of this source took over')),
      (error: unknown) => deps.logger.warn({ err: error, source: source.id }, 'scan heartbeat not recorded'),
    );
  }, heartbeatMs);
  heartbeat.unref();
  try {
    const relative = (key: string): string => (key.startsWith(objects.prefix) ? key.slice(objects.prefix.length) : key);
    const limit = pLimit(readsAtOnce);
    for await (const page of objects.pages(signal)) {
      report.listed += page.length;
      const matched = page.filter((o) => wanted(relative(o.key)));
      report.matched += matched.length;
      const unchanged = await deps.store.unchangedObjects(source.id, report.id, matched);
      report.unchanged += unchanged.size;
      // Largest first, as a folder's files are (see `largestFirstOrder`): a large file read last would
      // parse alone at the end while the other workers have nothing left.
      const changed = matched.filter((o) => !unchanged.has(o.key)).sort((a, b) => b.sizeBytes - a.sizeBytes);
      await input.beforeReading?.(changed);
      // Every read of the page settles before the scan goes on or ends, whatever one of them threw.
      let read = 0;
      const reads = await Promise.allSettled(
        changed.map((o) =>
          limit(async () => {
            // The first read that fails stops the others: they would fail alike (the store is away, the
            // source was removed and its objects can no longer be recorded).
            await ingestObject(deps, input, report, o, signal).catch((error: unknown) => {
              stop.abort(error);
              throw error;
            });
            // Every few objects the report is brought up to date, and a scan whose source was removed
            // (or taken over) stops.
            if (++read % reportEvery === 0 && !(await deps.store.updateScan(source.id, report))) {
              stop.abort(new SluiceError('not_found', 'The source was removed, or another scan took over'));
            }
          }),
        ),
      );
      const failed = reads.find((r) => r.status === 'rejected');
      if (failed) {
        throw failed.reason;
      }
      if (!(await deps.store.updateScan(source.id, report))) {
        throw new SluiceError('not_found', 'The source was removed, or another scan took over');
      }
    }
    if (input.prune) {
      report.pruned = await prune(deps, input, report, signal);
    }
    report.state = 'done';
  } catch (error) {
    // Interrupted when its process stops; failed when something went wrong (a read, the store, the source gone).
    report.state = input.signal?.aborted === true ? 'interrupted' : 'failed';
    report.error = {
      code: isSluiceError(error) ? error.code : 'internal_error',
      message: error instanceof Error ? error.message : String(error),
    };
    throw error;
  } finally {
    clearInterval(heartbeat);
    // A heartbeat still on its way would otherwise land after the last report, and say it still runs.
    await beat;
    report.finishedAt = new Date().toISOString();
    await deps.store
      .updateScan(source.id, report)
      .catch((error: unknown) => deps.logger.warn({ err: error, source: source.id }, 'scan report not recorded'));
  }
  return { ...report };
}

/**
 * Reads one object into the blob store and records it. Bytes its document holds already (the object
 * written again, or only its time changed) are not recorded again. New bytes are recorded as a version of
 * the object's document; when they go to another document (a duplicate of one in the collection, or a
 * file too large) the earlier document goes, since the object no longer holds what it holds. An object
 * larger than the limit is recorded as a failed document (as an upload's would be); one gone since the
 * listing or that cannot be read now is counted and left, its document as it was, to be read again at
 * the next scan.
 */
async function ingestObject(
  deps: ScanDependencies,
  input: ScanInput,
  report: ScanReport,
  listed: SourceObject,
  signal: AbortSignal,
): Promise<void> {
  signal.throwIfAborted();
  const { source } = input;
  let version = listed;
  const { received, hold } = await receiveFile(
    deps,
    {
      source: input.objects.nameOf(listed.key),
      sizeBytes: listed.sizeBytes,
      open: async () => {
        const opened = await input.objects.open(listed.key, signal);
        if (!opened) {
          throw new SluiceError('file_unreadable', 'The object was removed while the source was scanned');
        }
        version = opened.version;
        return opened.body;
      },
    },
    input.maxFileBytes,
  );
  if ('refused' in received && received.refused.code !== 'file_too_large') {
    signal.throwIfAborted();
    report.failed += 1;
    if (report.failures.length < maxFailuresKept) {
      report.failures.push({ key: listed.key, ...received.refused });
    }
    await deps.store.seeObject(source.id, report.id, listed.key);
    return;
  }
  try {
    const earlierId = await deps.store.objectDocument(source.id, listed.key);
    const earlier = earlierId ? await deps.store.getDocument(earlierId) : undefined;
    if (earlier && 'blob' in received && earlier.sha256 === received.blob.sha256) {
      report.unchanged += 1;
      await deps.store.recordObject(source.id, report.id, version, earlier.id);
      return;
    }
    const outcome = await acceptFile(deps, input, received);
    input.onDocument?.(outcome);
    report.ingested += 1;
    await deps.store.recordObject(source.id, report.id, version, outcome.document.id);
    if (earlier && earlier.id !== outcome.document.id) {
      await removeDocument(deps, input, report, earlier.id, signal);
    }
  } finally {
    if (hold && 'blob' in received) {
      await releaseHold(deps, hold, [received.blob.key]);
    }
  }
}

/**
 * Deletes a document whose object no longer holds its bytes, or is gone. Its skipped copies go with it
 * (see `deleteDocument`): the objects of this source they stood for, seen by this scan already, are read
 * again at once, so that their bytes stay searchable; those not seen yet are read when their page comes.
 */
async function removeDocument(
  deps: ScanDependencies,
  input: ScanInput,
  report: ScanReport,
  documentId: string,
  signal: AbortSignal,
): Promise<boolean> {
  const copies = await deps.store.seenCopiesOf(input.source.id, report.id, documentId);
  const removed = await deleteDocument(deps, documentId);
  for (const copy of copies) {
    await ingestObject(deps, input, report, copy, signal);
  }
  return removed;
}

/** Removes the documents of objects the scan did not list, or that its patterns leave out now. */
async function prune(
  deps: ScanDependencies,
  input: ScanInput,
  report: ScanReport,
  signal: AbortSignal,
): Promise<number> {
  let pruned = 0;
  for (;;) {
    signal.throwIfAborted();
    const gone = await deps.store.unseenObjects(input.source.id, report.id, 100);
    if (gone.length === 0) {
      return pruned;
    }
    for (const object of gone) {
      await deps.store.forgetObject(input.source.id, object.key);
      if (await removeDocument(deps, input, report, object.documentId, signal)) {
        pruned += 1;
      }
    }
  }
}
