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
/** Objects that could not be read that a report names. */
const maxFailuresKept = 20;

/** The prefix a source's keys are relative to, for its patterns. */
function relativeTo(url: string): (key: string) => string {
  const prefix = new URL(url).pathname.replace(/^\/+/, '');
  return (key) => (key.startsWith(prefix) ? key.slice(prefix.length) : key);
}

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

export async function startScan(
  deps: ScanDependencies,
  input: ScanInput,
): Promise<{ report: ScanReport; finished: Promise<ScanReport> }> {
  const { source } = input;
  const report = startingReport(input.batch.id);
  const wanted = keyFilter(source.include, source.exclude);
  // A scan whose process of this host is gone (a killed CLI) is taken over at once, not after its silence.
  const current = (await deps.store.getSource(source.id))?.scan;
  const orphan = current?.state === 'running' && namesDeadProcess(current.runner ?? '') ? current.id : undefined;
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
    const relative = relativeTo(source.url);
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
      const reads = await Promise.allSettled(
        changed.map((o) => limit(() => ingestObject(deps, input, report, o, signal))),
      );
      const failed = reads.find((r) => r.status === 'rejected');
      if (failed) {
        throw failed.reason;
      }
      await deps.store.updateScan(source.id, report);
    }
    if (input.prune) {
      report.pruned = await prune(deps, source.id, report.id, signal);
    }
    report.state = 'done';
  } catch (error) {
    report.state = signal.aborted ? 'interrupted' : 'failed';
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
 * Reads one object into the blob store and records it. An object larger than the limit is recorded as
 * a failed document (as an upload's would be); one gone since the listing or that cannot be read now is
 * counted and left, its document as it was, to be read again at the next scan.
 */
async function ingestObject(
  deps: ScanDependencies,
  input: ScanInput,
  report: ScanReport,
  listed: SourceObject,
  signal: AbortSignal,
): Promise<void> {
  signal.throwIfAborted();
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
    await deps.store.seeObject(input.source.id, report.id, listed.key);
    return;
  }
  try {
    const outcome = await acceptFile(deps, input, received);
    input.onDocument?.(outcome);
    report.ingested += 1;
    await deps.store.recordObject(input.source.id, report.id, version, outcome.document.id);
  } finally {
    if (hold && 'blob' in received) {
      await releaseHold(deps, hold, [received.blob.key]);
    }
  }
}

/** Removes the documents of objects the scan did not list. */
async function prune(deps: ScanDependencies, sourceId: string, scanId: string, signal: AbortSignal): Promise<number> {
  let pruned = 0;
  for (;;) {
    signal.throwIfAborted();
    const gone = await deps.store.unseenObjects(sourceId, scanId, 100);
    if (gone.length === 0) {
      return pruned;
    }
    for (const object of gone) {
      if (await deleteDocument(deps, object.documentId)) {
        pruned += 1;
      }
      await deps.store.forgetObject(sourceId, object.key);
    }
  }
}
