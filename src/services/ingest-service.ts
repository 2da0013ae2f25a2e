import { createReadStream } from 'node:fs';
import { isSluiceError } from '../core/errors.js';
import type { Batch, Collection, DocumentRecord } from '../core/types.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { JobQueue } from '../ports/queue.js';
import type { RegisterOutcome, Store } from '../ports/store.js';
import type { FoundFile } from './expand-paths.js';

export interface IngestDependencies {
  store: Store;
  blobs: BlobStore;
  queue: JobQueue;
  events: EventBus;
  logger: Logger;
}

export interface SubmitFilesInput {
  collection: Collection;
  /** The batch the files join; created beforehand so watchers can follow it from the first file. */
  batch: Batch;
  files: FoundFile[];
  maxFileBytes: number;
  priority?: number;
}

export type SubmitOutcome = RegisterOutcome | { kind: 'rejected'; document: DocumentRecord };

/**
 * Accepts files into a new batch: each is streamed into the blob store (hashed on the way), recorded
 * in the ledger (where dedup happens) and only then enqueued, so a crash between two steps leaves
 * a `queued` row that the next start resumes. A file that cannot be taken fails alone.
 */
export async function submitFiles(
  deps: IngestDependencies,
  input: SubmitFilesInput,
  onSubmitted?: (outcome: SubmitOutcome) => void,
): Promise<SubmitOutcome[]> {
  const { store, blobs, queue } = deps;
  const { batch } = input;
  const outcomes: SubmitOutcome[] = [];
  const base = { collectionId: input.collection.id, batchId: batch.id, priority: input.priority ?? 0 };
  for (const file of input.files) {
    let outcome: SubmitOutcome;
    if (file.sizeBytes > input.maxFileBytes) {
      outcome = {
        kind: 'rejected',
        document: await store.recordRejected({
          ...base,
          source: file.path,
          sizeBytes: file.sizeBytes,
          code: 'file_too_large',
          message: `The file is ${file.sizeBytes} bytes; the limit is ${input.maxFileBytes}`,
        }),
      };
    } else {
      try {
        const blob = await blobs.put(createReadStream(file.path), input.maxFileBytes);
        outcome = await store.registerDocument({ ...base, source: file.path, sha256: blob.sha256, sizeBytes: blob.sizeBytes });
        if (outcome.kind === 'queued') {
          await queue.enqueue([{ documentId: outcome.document.id, priority: base.priority }]);
        }
      } catch (error) {
        deps.logger.warn({ source: file.path, err: error }, 'file refused');
        outcome = {
          kind: 'rejected',
          document: await store.recordRejected({
            ...base,
            source: file.path,
            sizeBytes: file.sizeBytes,
            code: isSluiceError(error) ? error.code : 'file_unreadable',
            message: error instanceof Error ? error.message : String(error),
          }),
        };
      }
    }
    if (outcome.kind !== 'pending') {
      await deps.events.publish({
        type: 'document.state',
        documentId: outcome.document.id,
        batchId: batch.id,
        state: outcome.document.state,
        attempt: 0,
        ...(outcome.document.errorCode ? { errorCode: outcome.document.errorCode, errorMessage: outcome.document.errorMessage ?? '' } : {}),
        at: new Date().toISOString(),
      });
    }
    outcomes.push(outcome);
    onSubmitted?.(outcome);
  }
  return outcomes;
}
