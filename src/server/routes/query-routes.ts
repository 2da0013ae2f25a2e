import { z } from 'zod';
import { toSearchScope } from '../../core/query-filter.js';
import { queryFilterSchema } from '../../core/query-filter-schema.js';
import type { RouteContext, Server } from '../route-context.js';
import { hitView, toHitView } from '../views.js';

export function registerQueryRoutes(server: Server, { app, access }: RouteContext): void {
  server.post(
    '/v1/collections/:id/query',
    {
      schema: {
        tags: ['query'],
        params: z.object({ id: z.string() }),
        body: z.object({
          query: z.string().min(1).max(10_000),
          top_k: z.number().int().min(1).max(100).default(5),
          mode: z.enum(['hybrid', 'vector', 'text']).default('hybrid'),
          filter: queryFilterSchema.optional(),
        }),
        response: { 200: z.object({ hits: z.array(hitView) }) },
      },
    },
    async (request) => {
      const collection = await access.collection(request.auth.tenantId, request.params.id);
      const { query, top_k: topK, mode, filter } = request.body;
      const hits = await app.search(collection, {
        query,
        topK,
        mode,
        filter: toSearchScope(filter),
      });
      return { hits: hits.map(toHitView) };
    },
  );
}
