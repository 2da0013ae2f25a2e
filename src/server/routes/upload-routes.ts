import { Transform } from 'node:stream';
import type { MultipartFile } from '@fastify/multipart';
import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import { acceptFile, largestFirstOrder, type ReceivedFile } from '../../services/ingest-service.js';
import type { RouteContext, Server } from '../route-context.js';
import { batchView, documentView, toBatchView, toDocumentView } from '../views.js';

const uploadAnswer = z.object({ batch: batchView, documents: z.array(documentView) });

/**
 * Names from clients are labels, never paths: the blob store is content-addressed. A name may say
 * where the file sat below the folder uploaded (`faq/index.txt`, as `sluice ingest --server` sends
 * it), so that files of one base name in different folders stay different documents; it keeps its
 * folders, with `/` between them, and loses empty, `.` and `..` steps, leading dots and control
 * characters, so it stays readable and free of traversal.
 */
export function sanitizeFilename(name: string | undefined): string {
  const steps = (name ?? '')
    .split(/[/\\]/)
    // eslint-disable-next-line no-control-regex
    .map((step) => step.replace(/[\u0000-\u001f\u007f]/g, '').replace(/^\.+/, '').trim().slice(0, 255))
    .filter((step) => step.length > 0);
  const joined = steps.join('/');
  // Too long: the end is kept (the file's own name), from the first whole step that fits.
  const clean = joined.length > 1024 ? joined.slice(joined.indexOf('/', joined.length - 1025) + 1) : joined;
  return clean || 'upload';
}

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
      const idempotencyKey = request.headers['idempotency-key'];
      if (typeof idempotencyKey === 'string') {
        const earlier = await app.store.getIdempotentResponse(tenantId, idempotencyKey);
        if (earlier) {
          return reply.status(202).header('idempotency-replayed', 'true').send(uploadAnswer.parse(JSON.parse(earlier.body)));
        }
      }
      if (!request.isMultipart()) {
        throw new SluiceError('invalid_multipart', 'Send files as multipart/form-data');
      }

      // Every file is streamed to the blob store first; only when the whole request has arrived are
      // documents recorded. A request cut off or refused half-way records nothing.
      const received: ReceivedFile[] = [];
      let total = 0;
      try {
        for await (const part of request.files()) {
          received.push(await receive(part));
          total += received[received.length - 1]?.sizeBytes ?? 0;
          if (total > app.config.maxRequestBytes) {
            throw new SluiceError('request_too_large', `The request is over ${app.config.maxRequestBytes} bytes`);
          }
        }
      } catch (error) {
        if (error instanceof SluiceError) {
          throw error;
        }
        const code = (error as { code?: string }).code;
        if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') {
          throw new SluiceError('too_many_files', `At most ${app.config.maxUploadFiles} files per request`, { cause: error });
        }
        throw new SluiceError('invalid_multipart', `The upload was cut off or malformed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (received.length === 0) {
        throw new SluiceError('no_files', 'The request holds no file part');
      }

      const stored = received.filter((file) => 'blob' in file);
      await app.checkQuota(tenantId, { documents: stored.length, bytes: stored.reduce((sum, file) => sum + file.sizeBytes, 0) });
      const batch = await app.store.createBatch(collection.id, `upload of ${received.length} file${received.length === 1 ? '' : 's'}`);
      // Largest first (see largestFirstOrder); the answer lists them in the request's order.
      const documents = new Array<ReturnType<typeof toDocumentView>>(received.length);
      for (const index of largestFirstOrder(received.map((f) => f.sizeBytes))) {
        const outcome = await acceptFile(app, { collection, batch, priority: request.query.priority }, received[index] as ReceivedFile);
        documents[index] = toDocumentView(outcome.document);
      }
      const progress = await app.store.getBatchProgress(batch.id);
      const body = { batch: toBatchView(progress!), documents };
      if (typeof idempotencyKey === 'string') {
        await app.store.putIdempotentResponse(tenantId, idempotencyKey, 202, JSON.stringify(body));
      }
      return reply.status(202).header('location', `/v1/batches/${batch.id}`).send(body);

      async function receive(part: MultipartFile): Promise<ReceivedFile> {
        const source = sanitizeFilename(part.filename);
        const limit = app.config.maxFileBytes;
        // The limit is enforced on a piped copy, so a file over it fails alone: the request stream
        // itself stays whole, is drained past this file, and the next parts are still read.
        let seen = 0;
        const guard = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            seen += chunk.length;
            callback(seen > limit ? new SluiceError('file_too_large', `The file is larger than the limit of ${limit} bytes`) : null, chunk);
          },
        });
        part.file.pipe(guard);
        try {
          const blob = await app.blobs.put(guard, limit);
          app.metrics.uploads.inc();
          app.metrics.uploadBytes.inc(blob.sizeBytes);
          return { source, sizeBytes: blob.sizeBytes, blob };
        } catch (error) {
          if (error instanceof SluiceError && error.code === 'file_too_large') {
            part.file.unpipe(guard);
            part.file.resume();
            if (!part.file.readableEnded) {
              await new Promise((resolve) => part.file.once('end', resolve).once('close', resolve).once('error', resolve));
            }
            return { source, sizeBytes: seen, refused: { code: error.code, message: error.message } };
          }
          throw error;
        }
      }
    },
  );
}
