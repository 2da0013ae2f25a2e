import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import { holdBlobs, releaseHold } from '../../services/collect-garbage.js';
import { acceptUpload, type ReceivedFile } from '../../services/ingest-service.js';
import { receiveUpload, type UploadedFile } from '../receive-upload.js';
import type { RouteContext, Server } from '../route-context.js';
import { uploadAnswer, uploadAnswers, uploadIdempotency, type UploadAnswer } from '../upload-answers.js';
import { toBatchView, toDocumentView } from '../views.js';
import { maxUploadWaitSeconds, waitForBatch } from '../wait-for-batch.js';

export function registerUploadRoutes(server: Server, { app, access }: RouteContext): void {
  server.post(
    '/v1/collections/:id/documents',
    {
      schema: {
        tags: ['documents'],
        summary: 'Upload one or many files (multipart/form-data); answers 202 with a batch and one job per file',
        description:
          'Each file is a part with a filename. Optional form fields: `metadata`, a JSON object of string, number or boolean values (or lists of them) for every file; `file_metadata`, a JSON object of such objects keyed by file name, merged over `metadata`. Metadata is returned with documents and hits and can be filtered on in queries.',
        params: z.object({ id: z.string() }),
        querystring: z.object({
          priority: z.coerce.number().int().min(-100).max(100).default(0),
          wait: z.coerce
            .number()
            .min(0)
            .optional()
            .describe(
              `Seconds (at most ${maxUploadWaitSeconds}) to wait for the batch to finish: 200 with the final states if it does, else the usual 202`,
            ),
        }),
        response: { 200: uploadAnswer, 202: uploadAnswer },
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
        const idempotency = uploadIdempotency(
          request.headers['idempotency-key'],
          { tenantId, collection, priority: request.query.priority },
          upload,
        );
        const answers = uploadAnswers(app, { collection, upload, idempotency });
        const replayed = (body: UploadAnswer) => reply.status(202).header('idempotency-replayed', 'true').send(body);
        const earlier = await answers.earlier();
        if (earlier) {
          return await replayed(earlier);
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
        let accepted: Awaited<ReturnType<typeof acceptUpload>>;
        try {
          const received = await Promise.all(upload.files.map(commit));
          // A client that gave up meanwhile (a slow bucket, a slow database) would never learn of the
          // documents, and its retry would add them again: nothing is recorded for it, and the files
          // it sent go with the hold.
          if (request.raw.socket.destroyed) {
            throw new SluiceError('client_gone', 'The client closed the connection before the upload was recorded');
          }
          // One transaction: a crash leaves the whole upload recorded or none of it.
          accepted = await acceptUpload(app, {
            collection,
            label: `upload of ${received.length} file${received.length === 1 ? '' : 's'}`,
            priority: request.query.priority,
            files: received,
            ...(idempotency ? { idempotency } : {}),
          });
        } finally {
          await releaseHold(app, hold, keys);
        }
        if (accepted.kind === 'exists') {
          // A request with the same key was recorded while this one was stored.
          return await replayed(await answers.again(accepted.earlier));
        }
        const body = await answers.answer(
          accepted.batch.id,
          accepted.outcomes.map((outcome) => outcome.document),
        );
        const elsewhere = accepted.outcomes
          .map(({ document }) => document)
          .filter((document) => document.batchId !== accepted.batch.id)
          .map((document) => document.id);
        const waited = request.query.wait
          ? await waitForBatch(
              app.store,
              accepted.batch.id,
              Math.min(request.query.wait, maxUploadWaitSeconds),
              () => request.raw.socket.destroyed,
              elsewhere,
            )
          : undefined;
        if (waited) {
          const documents = await Promise.all(
            accepted.outcomes.map(async ({ document }) => (await app.store.getDocument(document.id)) ?? document),
          );
          return await reply
            .status(200)
            .header('location', `/v1/batches/${accepted.batch.id}`)
            .send({ batch: toBatchView(waited), documents: documents.map(toDocumentView), refused: upload.refused });
        }
        return await reply.status(202).header('location', `/v1/batches/${accepted.batch.id}`).send(body);
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
        return {
          source: file.source,
          sizeBytes: blob.sizeBytes,
          blob,
          ...(file.metadata ? { metadata: file.metadata } : {}),
        };
      }
    },
  );
}
