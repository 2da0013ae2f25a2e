import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import type { Collection, DocumentRecord } from '../core/types.js';
import type { IdempotentResponse } from '../ports/idempotency-store.js';
import type { ReceivedUpload } from './receive-upload.js';
import type { ServerContext } from './server-context.js';
import { batchView, documentView, toBatchView, toDocumentView } from './views.js';

const refusedPartView = z.object({
  /** The part's position in the body, from 0 (-1: parts that could not be told apart). */
  part: z.number(),
  /** Its file name or field name, as sent, if it had one. */
  name: z.string().nullable(),
  code: z.string(),
  detail: z.string(),
});
export const uploadAnswer = z.object({
  batch: batchView,
  documents: z.array(documentView),
  /** Parts of the request that are not files Sluice took (form fields, unreadable parts); never recorded. */
  refused: z.array(refusedPartView),
});
export type UploadAnswer = z.infer<typeof uploadAnswer>;

/** An upload's Idempotency-Key as the store keeps it: scoped to route and collection, with the request's fingerprint. */
export interface UploadIdempotency {
  tenantId: string;
  key: string;
  fingerprint: string;
}

/** The idempotency of an upload that sent an Idempotency-Key. */
export function uploadIdempotency(
  header: string | string[] | undefined,
  target: { tenantId: string; collection: Collection; priority: number },
  upload: ReceivedUpload,
): UploadIdempotency | undefined {
  return typeof header === 'string'
    ? {
        tenantId: target.tenantId,
        key: `POST /v1/collections/${target.collection.id}/documents ${header}`,
        fingerprint: fingerprintOf(upload, target.priority),
      }
    : undefined;
}

/** What makes two uploads the same request: the names, contents and metadata of their files, in order, and the priority. */
function fingerprintOf(upload: ReceivedUpload, priority: number): string {
  const parts = upload.files.map((file) => [
    file.source,
    'staged' in file ? file.staged.sha256 : file.refused.code,
    file.sizeBytes,
    ...(file.metadata ? [file.metadata] : []),
  ]);
  return createHash('sha256')
    .update(JSON.stringify([priority, parts]))
    .digest('hex');
}

/**
 * The answers to one upload: the one it gets once recorded (kept under its Idempotency-Key), and the
 * one a request with the same key gets again.
 */
export function uploadAnswers(
  app: Pick<ServerContext, 'store' | 'dispatcher'>,
  target: { collection: Collection; upload: ReceivedUpload; idempotency: UploadIdempotency | undefined },
) {
  const { upload, idempotency } = target;

  /** The answer for a recorded batch, kept under the Idempotency-Key if there is one. */
  async function answer(batchId: string, documents: DocumentRecord[]): Promise<UploadAnswer> {
    const progress = await app.store.getBatchProgress(batchId);
    if (!progress) {
      throw new SluiceError('not_found', `Batch ${batchId} is gone`);
    }
    const body = { batch: toBatchView(progress), documents: documents.map(toDocumentView), refused: upload.refused };
    if (idempotency) {
      const { tenantId, key, fingerprint } = idempotency;
      await app.store.putIdempotentResponse(tenantId, key, fingerprint, 202, JSON.stringify(body));
    }
    return body;
  }

  /**
   * Finishes what an earlier request with this key recorded but did not answer (its process died, or
   * it is answering now): its documents are dispatched, and the answer lists them in this request's
   * order (the same files, as the fingerprint says).
   */
  async function finish(batchId: string): Promise<UploadAnswer> {
    await app.dispatcher.collection(target.collection.id);
    const recorded = await app.store.listDocuments({ batchId, limit: upload.files.length });
    const documents = upload.files.flatMap((file) => {
      const index = recorded.findIndex((doc) => doc.source === file.source);
      return index < 0 ? [] : recorded.splice(index, 1);
    });
    return answer(batchId, documents);
  }

  /** The answer to give again for what an earlier request with this key did; refused if it sent other files. */
  async function again(earlier: IdempotentResponse): Promise<UploadAnswer> {
    if (earlier.fingerprint !== idempotency?.fingerprint) {
      throw new SluiceError(
        'idempotency_key_reused',
        'This Idempotency-Key was used for a different request to this collection',
      );
    }
    return earlier.status === 0
      ? finish((JSON.parse(earlier.body) as { batch_id: string }).batch_id)
      : uploadAnswer.parse(JSON.parse(earlier.body));
  }

  return {
    answer,
    again,
    /** What a request with this key was answered, if one came before. */
    async earlier(): Promise<UploadAnswer | undefined> {
      const found = idempotency && (await app.store.getIdempotentResponse(idempotency.tenantId, idempotency.key));
      return found ? again(found) : undefined;
    },
  };
}
