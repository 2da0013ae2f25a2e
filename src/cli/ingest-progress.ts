import type { Batch, BatchProgress, Collection, DocumentRecord } from '../core/types.js';
import type { AppContext } from '../app/create-app.js';
import type { SubmitOutcome } from '../services/ingest-service.js';
import { print } from './output.js';
import { createProgressView } from './progress-view.js';
import { listBatchDocuments, printSummary } from './summary.js';
import { waitForDocuments } from './wait-for-documents.js';

/** What recording a batch's files did, for the lines printed after it. */
export interface Recorded {
  /** Printed when the command does not wait: how many were queued. */
  queued: string;
  /** Printed before the summary. */
  notes: string[];
  /** Problems besides failed documents, which make the exit code 1. */
  problems: number;
}

/**
 * Records files into a new batch of the collection while a live progress view follows it (unless the
 * command does not wait), then prints the batch's summary; the exit code. Documents the same files
 * already had waiting in another batch (`pending`) are followed and summed up too.
 */
export async function ingestWithProgress(
  app: AppContext,
  target: { collection: Collection; label: string; wait: boolean; started: number; expectedFiles?: number },
  record: (batch: Batch, onOutcome: (outcome: SubmitOutcome) => void) => Promise<Recorded>,
): Promise<number> {
  if (target.wait) {
    await app.startWorkers();
  }
  const batch = await app.store.createBatch(target.collection.id, target.label);
  const pending: DocumentRecord[] = [];
  let recorded = false;
  const view = target.wait
    ? createProgressView(`batch ${batch.id}`, process.stdout.isTTY === true, target.expectedFiles)
    : undefined;
  const stop = new AbortController();
  let last: BatchProgress | undefined;
  const finished = view
    ? waitForDocuments(
        app,
        batch.id,
        () => (recorded ? pending.map((d) => d.id) : undefined),
        (p) => {
          last = p;
          view.update(p);
        },
        stop.signal,
      )
    : undefined;
  let result: Recorded;
  try {
    result = await record(batch, (outcome) => {
      if (outcome.kind === 'pending') {
        pending.push(outcome.document);
      }
    });
  } catch (error) {
    stop.abort(error);
    await finished?.catch(() => undefined);
    if (view && last) {
      view.stop(last);
    }
    throw error;
  } finally {
    recorded = true;
  }
  if (!view || !finished) {
    result.notes.forEach((line) => print(line));
    print(`Batch ${batch.id}: ${result.queued}; run \`sluice worker\` to process them.`);
    return result.problems > 0 ? 1 : 0;
  }
  view.stop(await finished);
  const documents = [...(await listBatchDocuments(app, batch.id))];
  for (const doc of pending) {
    const current = await app.store.getDocument(doc.id);
    if (current) {
      documents.push(current);
    }
  }
  result.notes.forEach((line) => print(line));
  print(`Collection "${target.collection.name}", batch ${batch.id}`);
  const listAll = `sluice jobs -d ${app.config.dataDir} --batch ${batch.id} --state failed -n ${documents.length}`;
  return printSummary(documents, Date.now() - target.started, listAll) > 0 || result.problems > 0 ? 1 : 0;
}
