import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import type { Batch } from '../../core/types.js';
import { holdBlobs, releaseHold } from '../../services/collect-garbage.js';
import { acceptFile, largestFirstOrder, type ReceivedFile } from '../../services/ingest-service.js';
import { receiveUpload, type ReceivedUpload, type UploadedFile } from '../receive-upload.js';
import type { RouteContext, Server } from '../route-context.js';
import { batchView, documentView, toBatchView, toDocumentView } from '../views.js';

const refusedPartView = z.object({
  /** The part's position in the body, from 0 (-1: parts that could not be told apart). */
  part: z.number(),
  /** Its file name or field name, as sent, if it had one. */
  name: z.string().nullable(),
  code: z.string(),
  detail: z.string(),
});
const uploadAnswer = z.object({
  batch: batchView,
  documents: z.array(documentView),
  /** Parts of the request that are not files Sluice took (form fields, unreadable parts); never recorded. */
  refused: z.array(refusedPartView),
});

export function registerUploadRoutes(server: Server, { app, access }: RouteContext): void {
  server.post(
    '/v1/collections/:id/documents',
    {
      schema: {
        tags: ['documents'],
        summary: 'Upload one or many files (multipart/form-data); answers 202 with a batch and one job per file',
        params: z.object({ id: z.string() }),
        querystring: z.object({ priority: z.coerce.number().int().min(-100).max(100).default(0) }),
        response: { 202: uploadAnswer },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.auth;
      const collection = await access.collection(tenantId, request.params.id);
      if (!request.isMultipart()) {
        throw new SluiceError('invalid_multipart', 'Send files as multipart/form-data');
      }
      // Every file is staged in the blob store first; only when the whole request has arrived and is
      // accepted are the files stored and documents recorded. A request cut off or refused half-way
      // leaves nothing behind.
      const upload = await receiveUpload(request, app.blobs, app.config);
      try {
        if (upload.files.length === 0) {
          const why = upload.refused.map((part) => `; part ${part.part}: ${part.detail}`).join('');
          throw new SluiceError('no_files', `The request holds no file part${why}`);
        }
        const idempotencyKey = request.headers['idempotency-key'];
        const idempotency =
          typeof idempotencyKey === 'string'
            ? {
                key: `POST /v1/collections/${collection.id}/documents ${idempotencyKey}`,
                fingerprint: fingerprintOf(upload, request.query.priority),
              }
            : undefined;
        if (idempotency) {
          const earlier = await app.store.getIdempotentResponse(tenantId, idempotency.key);
          if (earlier) {
            if (earlier.fingerprint !== idempotency.fingerprint) {
              throw new SluiceError(
                'idempotency_key_reused',
                'This Idempotency-Key was used for a different request to this collection',
              );
            }
            return await reply
              .status(202)
              .header('idempotency-replayed', 'true')
              .send(uploadAnswer.parse(JSON.parse(earlier.body)));
          }
        }

        const staged = upload.files.filter((file) => 'staged' in file);
        await app.checkQuota(tenantId, {
          documents: staged.length,
          bytes: staged.reduce((sum, file) => sum + file.sizeBytes, 0),
        });
        // Held from before the files are stored until their documents are recorded, so that a sweep
        // meanwhile does not take them for files nothing refers to.
        const keys = staged.map((file) => file.staged.sha256);
        const hold = await holdBlobs(app, keys);
        const documents = new Array<ReturnType<typeof toDocumentView>>(upload.files.length);
        let batch: Batch;
        try {
          const received = await Promise.all(upload.files.map(commit));
          batch = await app.store.createBatch(
            collection.id,
            `upload of ${received.length} file${received.length === 1 ? '' : 's'}`,
          );
          // Largest first (see largestFirstOrder); the answer lists them in the request's order.
          for (const index of largestFirstOrder(received.map((f) => f.sizeBytes))) {
            const outcome = await acceptFile(
              app,
              { collection, batch, priority: request.query.priority },
              received[index] as ReceivedFile,
            );
            documents[index] = toDocumentView(outcome.document);
          }
        } finally {
          await releaseHold(app, hold, keys);
        }
        const progress = await app.store.getBatchProgress(batch.id);
        const body = { batch: toBatchView(progress!), documents, refused: upload.refused };
        if (idempotency) {
          await app.store.putIdempotentResponse(
            tenantId,
            idempotency.key,
            idempotency.fingerprint,
            202,
            JSON.stringify(body),
          );
        }
        return await reply.status(202).header('location', `/v1/batches/${batch.id}`).send(body);
      } finally {
        await upload.discard();
      }

      async function commit(file: UploadedFile): Promise<ReceivedFile> {
        if (!('staged' in file)) {
          return file;
        }
        const blob = await file.staged.commit();
        app.metrics.uploads.inc();
        app.metrics.uploadBytes.inc(blob.sizeBytes);
        return { source: file.source, sizeBytes: blob.sizeBytes, blob };
      }
    },
  );
}

/** What makes two uploads the same request: the names and contents of their files, in order, and the priority. */
function fingerprintOf(upload: ReceivedUpload, priority: number): string {
  const parts = upload.files.map((file) => [
    file.source,
    'staged' in file ? file.staged.sha256 : file.refused.code,
    file.sizeBytes,
  ]);
  return createHash('sha256')
    .update(JSON.stringify([priority, parts]))
    .digest('hex');
}
