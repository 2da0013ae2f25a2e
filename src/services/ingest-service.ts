import { createReadStream } from 'node:fs';
import type { DocumentMetadata } from '../core/document-metadata.js';
import { documentStateEvent } from '../core/document-events.js';
import { isSluiceError, type ErrorCode } from '../core/errors.js';
import type { Batch, Collection, DocumentRecord } from '../core/types.js';
import type { BlobStore, StagedBlob, StoredBlob } from '../ports/blob-store.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { JobQueue } from '../ports/queue.js';
import type { RecordUploadInput } from '../ports/document-ledger.js';
import type { IdempotentResponse } from '../ports/idempotency-store.js';
import type { RegisterOutcome, Store } from '../ports/store.js';
import { collectBlobs, holdBlobs, releaseHold } from './collect-garbage.js';
import type { Dispatcher } from './dispatch-documents.js';
import type { FoundFile } from './expand-paths.js';

export interface IngestDependencies {
  store: Store;
  blobs: BlobStore;
  queue: JobQueue;
  events: EventBus;
  logger: Logger;
  dispatcher: Pick<Dispatcher, 'collection'>;
}

export interface SubmitFilesInput {
  collection: Collection;
  /** The batch the files join; created beforehand so watchers can follow it from the first file. */
  batch: Batch;
  files: FoundFile[];
  maxFileBytes: number;
  priority?: number;
  /** Each file's metadata (`--metadata`, `--path-metadata`), if any. */
  metadataOf?: (file: FoundFile) => DocumentMetadata | undefined;
}

export type SubmitOutcome = RegisterOutcome | { kind: 'rejected'; document: DocumentRecord };

/** A file whose bytes are already stored, or that was refused before it could be. */
export type ReceivedFile = { source: string; sizeBytes: number; metadata?: DocumentMetadata } & (
  { blob: StoredBlob } | { refused: { code: ErrorCode; message: string } }
);

/**
 * Records one received file in a batch: dedup happens in the ledger, and only then is the tenant's
 * dispatcher asked to hand it to the queue (now, or when the tenant has room), so a crash between two
 * steps leaves a `queued` row that the next dispatch sweep picks up. A refused file becomes a `failed`
 * document of the batch, so the batch shows why.
 */
export async function acceptFile(
  deps: IngestDependencies,
  target: { collection: Collection; batch: Batch; priority?: number },
  file: ReceivedFile,
): Promise<SubmitOutcome> {
  const base = {
    collectionId: target.collection.id,
    batchId: target.batch.id,
    priority: target.priority ?? 0,
    source: file.source,
    ...(file.metadata ? { metadata: file.metadata } : {}),
  };
  const outcome: SubmitOutcome =
    'refused' in file
      ? {
          kind: 'rejected',
          document: await deps.store.recordRejected({ ...base, sizeBytes: file.sizeBytes, ...file.refused }),
        }
      : await deps.store.registerDocument({ ...base, sha256: file.blob.sha256, sizeBytes: file.blob.sizeBytes });
  await announce(deps, outcome);
  if (outcome.kind === 'queued') {
    await deps.dispatcher.collection(target.collection.id);
    return reread(deps, outcome);
  }
  return outcome;
}

/**
 * Tells watchers what recording a file did, before it is handed to the queue (so the log reads in the
 * order things happen: queued, then parsing), and lets go of the raw file of a version it replaced.
 */
async function announce(deps: IngestDependencies, outcome: SubmitOutcome): Promise<void> {
  if (outcome.kind !== 'pending') {
    const doc = outcome.document;
    await deps.events.publish(
      documentStateEvent(
        doc,
        doc.state,
        doc.errorCode ? { code: doc.errorCode, message: doc.errorMessage ?? '' } : undefined,
      ),
    );
  }
  if (
    outcome.kind === 'queued' &&
    outcome.replacedSha256 !== undefined &&
    outcome.replacedSha256 !== outcome.document.sha256
  ) {
    // The version it replaces keeps its chunks until this one is published, not its raw file.
    await collectBlobs(deps, [outcome.replacedSha256]).catch((error: unknown) =>
      deps.logger.warn({ err: error }, 'the raw file of the replaced version is left for the next sweep'),
    );
  }
}

/** A queued document read again once dispatched: whether it was handed to a worker or waits for its tenant's share. */
async function reread<T extends SubmitOutcome>(deps: IngestDependencies, outcome: T): Promise<T> {
  if (outcome.kind !== 'queued') {
    return outcome;
  }
  const now = await deps.store.getDocument(outcome.document.id);
  return now ? { ...outcome, document: now } : outcome;
}

/** The files of an upload, with the batch they are to make up. */
export interface UploadInput {
  collection: Collection;
  /** The batch's label. */
  label: string;
  priority?: number;
  /** In the request's order. */
  files: ReceivedFile[];
  idempotency?: RecordUploadInput['idempotency'];
}

/**
 * Records an upload whose files are stored, all in one transaction (a crash leaves all of it or none),
 * then announces and dispatches its documents. The outcomes come back in the order of `input.files`;
 * if a request with the same Idempotency-Key was recorded first, nothing is, and its answer comes back.
 */
export async function acceptUpload(
  deps: IngestDependencies,
  input: UploadInput,
): Promise<
  { kind: 'recorded'; batch: Batch; outcomes: SubmitOutcome[] } | { kind: 'exists'; earlier: IdempotentResponse }
> {
  const order = largestFirstOrder(input.files.map((file) => file.sizeBytes));
  const recorded = await deps.store.recordUpload({
    collectionId: input.collection.id,
    label: input.label,
    priority: input.priority ?? 0,
    files: order.map((index) => {
      const file = input.files[index] as ReceivedFile;
      return 'refused' in file
        ? file
        : {
            source: file.source,
            sizeBytes: file.blob.sizeBytes,
            sha256: file.blob.sha256,
            ...(file.metadata ? { metadata: file.metadata } : {}),
          };
    }),
    ...(input.idempotency ? { idempotency: input.idempotency } : {}),
  });
  if (recorded.kind === 'exists') {
    return recorded;
  }
  const outcomes = new Array<SubmitOutcome>(input.files.length);
  order.forEach((fileIndex, k) => (outcomes[fileIndex] = recorded.outcomes[k] as SubmitOutcome));
  for (const index of order) {
    await announce(deps, outcomes[index] as SubmitOutcome);
  }
  await deps.dispatcher.collection(input.collection.id);
  return {
    kind: 'recorded',
    batch: recorded.batch,
    outcomes: await Promise.all(outcomes.map((outcome) => reread(deps, outcome))),
  };
}

/**
 * The order in which to accept a batch's files: largest first, equal sizes as given. Each file goes to
 * the queue as soon as it is accepted, and a batch is done when its last file is: one large file
 * accepted last parses alone while the other workers have nothing left (measured in BENCH.md). Accepted
 * first, it parses beside the rest. Dispatch keeps the same order for files waiting beyond a tenant's
 * share (`largestFirst` in the stores).
 */
export function largestFirstOrder(sizes: readonly number[]): number[] {
  return sizes.map((_, i) => i).sort((a, b) => (sizes[b] as number) - (sizes[a] as number) || a - b);
}

/** A file to receive: its name, the size it claims, and its bytes, opened when they are wanted. */
export interface IncomingFile {
  source: string;
  sizeBytes: number;
  metadata?: DocumentMetadata;
  open(): AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
}

/**
 * Streams a file into the blob store (hashed on the way) under a hold that keeps it from collection
 * until its document is recorded (see `blobHoldMs`); a file that cannot be read is refused.
 */
export async function receiveFile(
  deps: IngestDependencies,
  file: IncomingFile,
  maxFileBytes: number,
): Promise<{ received: ReceivedFile; hold?: string }> {
  const described = { source: file.source, ...(file.metadata ? { metadata: file.metadata } : {}) };
  const refused = (code: ErrorCode, message: string) => ({
    received: { ...described, sizeBytes: file.sizeBytes, refused: { code, message } },
  });
  if (file.sizeBytes > maxFileBytes) {
    return refused('file_too_large', `The file is ${file.sizeBytes} bytes; the limit is ${maxFileBytes}`);
  }
  let staged: StagedBlob;
  try {
    staged = await deps.blobs.stage(await file.open(), maxFileBytes);
  } catch (error) {
    deps.logger.warn({ source: file.source, err: error }, 'file refused');
    return refused(
      isSluiceError(error) ? error.code : 'file_unreadable',
      error instanceof Error ? error.message : String(error),
    );
  }
  let hold: string | undefined;
  try {
    hold = await holdBlobs(deps, [staged.sha256]);
    return { received: { ...described, sizeBytes: staged.sizeBytes, blob: await staged.commit() }, hold };
  } catch (error) {
    await staged.discard();
    if (hold) {
      await deps.store.releaseBlobHold(hold).catch(() => undefined);
    }
    throw error;
  }
}

/** Receives a file, records it in the batch, then lets go of the hold its bytes were kept under. */
export async function receiveAndAccept(
  deps: IngestDependencies,
  target: { collection: Collection; batch: Batch; priority?: number },
  file: IncomingFile,
  maxFileBytes: number,
): Promise<SubmitOutcome> {
  const { received, hold } = await receiveFile(deps, file, maxFileBytes);
  try {
    return await acceptFile(deps, target, received);
  } finally {
    if (hold && 'blob' in received) {
      await releaseHold(deps, hold, [received.blob.key]);
    }
  }
}

/** Accepts files from disk into a batch, largest first; the outcomes come back in the order of `input.files`. */
export async function submitFiles(
  deps: IngestDependencies,
  input: SubmitFilesInput,
  onSubmitted?: (outcome: SubmitOutcome) => void,
): Promise<SubmitOutcome[]> {
  const outcomes: SubmitOutcome[] = new Array<SubmitOutcome>(input.files.length);
  for (const index of largestFirstOrder(input.files.map((f) => f.sizeBytes))) {
    const file = input.files[index] as FoundFile;
    const outcome = await receiveAndAccept(
      deps,
      input,
      {
        source: file.path,
        sizeBytes: file.sizeBytes,
        open: () => createReadStream(file.path),
        ...withMetadata(input.metadataOf?.(file)),
      },
      input.maxFileBytes,
    );
    outcomes[index] = outcome;
    onSubmitted?.(outcome);
  }
  return outcomes;
}

const withMetadata = (metadata: DocumentMetadata | undefined): { metadata?: DocumentMetadata } =>
  metadata ? { metadata } : {};
