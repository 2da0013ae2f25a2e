import { z } from 'zod';
import { collectionNamePattern } from '../../core/collection-name.js';
import type { RouteContext, Server } from '../route-context.js';
import { collectionStatsView, collectionView, toCollectionView } from '../views.js';

const idParams = z.object({ id: z.string() });

export function registerCollectionRoutes(server: Server, { app, access }: RouteContext): void {
  server.post(
    '/v1/collections',
    {
      schema: {
        tags: ['collections'],
        body: z.object({
          name: z.string().regex(collectionNamePattern, '1 to 200 letters, digits, _ . - only'),
          partial_success: z.boolean().optional(),
        }),
        response: { 201: collectionView, 200: collectionView },
      },
    },
    async (request, reply) => {
      const existing = await app.store.getCollectionByName(request.auth.tenantId, request.body.name);
      let collection = existing ?? (await app.ensureCollection(request.auth.tenantId, request.body.name));
      if (request.body.partial_success !== undefined && request.body.partial_success !== collection.partialSuccess) {
        collection =
          (await app.store.setCollectionPartialSuccess(collection.id, request.body.partial_success)) ?? collection;
      }
      return reply
        .status(existing ? 200 : 201)
        .header('location', `/v1/collections/${collection.id}`)
        .send(toCollectionView(collection));
    },
  );

  server.patch(
    '/v1/collections/:id',
    {
      schema: {
        tags: ['collections'],
        summary: 'Changes the collection policy: whether documents may complete without chunks that failed for good',
        params: idParams,
        body: z.object({ partial_success: z.boolean() }),
        response: { 200: collectionView },
      },
    },
    async (request) => {
      const collection = await access.collection(request.auth.tenantId, request.params.id);
      const updated = await app.store.setCollectionPartialSuccess(collection.id, request.body.partial_success);
      return toCollectionView(updated ?? collection);
    },
  );

  server.get(
    '/v1/collections',
    { schema: { tags: ['collections'], response: { 200: z.object({ collections: z.array(collectionView) }) } } },
    async (request) => ({
      collections: (await app.store.listCollections(request.auth.tenantId)).map(toCollectionView),
    }),
  );

  server.get(
    '/v1/collections/:id',
    {
      schema: {
        tags: ['collections'],
        summary: 'A collection, with its documents by state, published chunks and stored bytes',
        params: idParams,
        response: { 200: collectionView.extend({ stats: collectionStatsView }) },
      },
    },
    async (request) => {
      const collection = await access.collection(request.auth.tenantId, request.params.id);
      const [stats, chunks] = await Promise.all([
        app.store.getCollectionStats(collection.id),
        app.store.countChunks(collection.id),
      ]);
      const documents = Object.values(stats.documents).reduce((sum, n) => sum + n, 0);
      return {
        ...toCollectionView(collection),
        stats: { documents, documents_by_state: stats.documents, chunks, stored_bytes: stats.storedBytes },
      };
    },
  );

  server.delete(
    '/v1/collections/:id',
    { schema: { tags: ['collections'], params: idParams } },
    async (request, reply) => {
      const collection = await access.collection(request.auth.tenantId, request.params.id);
      await app.deleteCollection(collection.id);
      return reply.status(204).send();
    },
  );
}
