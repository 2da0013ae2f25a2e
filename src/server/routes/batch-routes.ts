import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import { withEtag } from '../etag.js';
import type { RouteContext, Server } from '../route-context.js';
import { batchView, documentView, toBatchView, toDocumentView } from '../views.js';

const idParams = z.object({ id: z.string() });

export function registerBatchRoutes(server: Server, { app, access }: RouteContext): void {
  server.get(
    '/v1/batches',
    {
      schema: {
        tags: ['batches'],
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }),
        response: { 200: z.object({ batches: z.array(batchView) }) },
      },
    },
    async (request) => {
      const batches = await app.store.listBatchProgress(request.query.limit, request.auth.tenantId);
      return { batches: batches.map(toBatchView) };
    },
  );

  server.get(
    '/v1/batches/:id',
    { schema: { tags: ['batches'], params: idParams, response: { 200: batchView } } },
    async (request, reply) => {
      const batch = await access.batch(request.auth.tenantId, request.params.id);
      const progress = await app.store.getBatchProgress(batch.id);
      if (!progress) {
        throw new SluiceError('not_found', `No batch ${batch.id}`);
      }
      return withEtag(request, reply, toBatchView(progress));
    },
  );

  server.post(
    '/v1/batches/:id/retry-failed',
    {
      schema: {
        tags: ['batches'],
        params: idParams,
        response: { 202: z.object({ documents: z.array(documentView) }) },
      },
    },
    async (request, reply) => {
      const batch = await access.batch(request.auth.tenantId, request.params.id);
      const requeued = await app.retry({ batchId: batch.id, state: 'failed' });
      return reply.status(202).send({ documents: requeued.map(toDocumentView) });
    },
  );
}
