import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import { documentStates, isRetryable } from '../../core/states.js';
import { withEtag } from '../etag.js';
import type { RouteContext, Server } from '../route-context.js';
import { documentChunksView, documentView, toChunkView, toDocumentView } from '../views.js';

const idParams = z.object({ id: z.string() });

export function registerDocumentRoutes(server: Server, { app, access }: RouteContext): void {
  server.get(
    '/v1/documents',
    {
      schema: {
        tags: ['documents'],
        summary: 'Documents of the tenant, oldest first; pass `next_cursor` back as `cursor` for the next page',
        querystring: z.object({
          state: z.enum(documentStates).optional(),
          collection: z.string().optional(),
          batch: z.string().optional(),
          cursor: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ documents: z.array(documentView), next_cursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      const { tenantId } = request.auth;
      const { state, collection, batch, cursor, limit } = request.query;
      if (collection) {
        await access.collection(tenantId, collection);
      }
      const documents = await app.store.listDocuments({
        tenantId,
        limit,
        ...(state ? { state } : {}),
        ...(collection ? { collectionId: collection } : {}),
        ...(batch ? { batchId: batch } : {}),
        ...(cursor ? { after: cursor } : {}),
      });
      const last = documents[documents.length - 1];
      return {
        documents: documents.map(toDocumentView),
        next_cursor: documents.length === limit && last ? last.id : null,
      };
    },
  );

  server.get(
    '/v1/documents/:id',
    { schema: { tags: ['documents'], params: idParams, response: { 200: documentView } } },
    async (request, reply) => {
      const doc = await access.document(request.auth.tenantId, request.params.id);
      const position = await app.store.queuePosition(doc.id);
      return withEtag(request, reply, {
        ...toDocumentView(doc),
        ...(position !== undefined ? { queue_position: position } : {}),
      });
    },
  );

  server.get(
    '/v1/documents/:id/chunks',
    {
      schema: {
        tags: ['documents'],
        summary: "A document's published chunks in order; pass `next_cursor` back as `cursor` for the next page",
        description:
          "The chunks a search finds of the document now, each the parsed text's exact slice " +
          '`[char_start, char_end)`. Neighbours overlap, or leave out only whitespace the chunker trimmed (and, ' +
          'on `completed_with_errors`, the chunks that failed for good). None until a first version of the ' +
          'document is published, then those of the last version published: a new version replaces them ' +
          "whole once it completes. A skipped copy answers its original's (`chunks_of`).",
        params: idParams,
        querystring: z.object({
          cursor: z
            .string()
            .regex(/^\d{1,9}$/, 'Pass back the `next_cursor` of the page before')
            .optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: documentChunksView },
      },
    },
    async (request) => {
      const doc = await access.document(request.auth.tenantId, request.params.id);
      const { cursor, limit } = request.query;
      // A skipped copy holds no chunks: its original's stand for both, in searches too.
      const holder = doc.state === 'skipped' && doc.duplicateOf ? doc.duplicateOf : doc.id;
      // The cursor is the last index answered; failed chunks leave gaps, so the next page reads past it.
      const from = cursor === undefined ? 0 : Number(cursor) + 1;
      // One more than asked says whether another page follows, so the last page is known as the last.
      const chunks = await app.store.documentChunks(holder, { from, limit: limit + 1 });
      const page = chunks.slice(0, limit);
      const last = page[page.length - 1];
      return {
        document_id: doc.id,
        state: doc.state,
        chunks_of: holder,
        chunks: page.map(toChunkView),
        next_cursor: chunks.length > limit && last ? String(last.index) : null,
      };
    },
  );

  server.post(
    '/v1/documents/:id/cancel',
    { schema: { tags: ['documents'], params: idParams, response: { 200: documentView } } },
    async (request) => {
      const doc = await access.document(request.auth.tenantId, request.params.id);
      const cancelled = await app.cancel(doc.id);
      // Already finished: nothing to cancel; the answer shows the state it ended in.
      return toDocumentView(cancelled ?? doc);
    },
  );

  server.post(
    '/v1/documents/:id/retry',
    { schema: { tags: ['documents'], params: idParams, response: { 202: documentView } } },
    async (request, reply) => {
      const doc = await access.document(request.auth.tenantId, request.params.id);
      if (!isRetryable(doc.state)) {
        throw new SluiceError(
          'invalid_input',
          `Only failed, cancelled or partly completed documents can be retried; this one is ${doc.state}`,
        );
      }
      const [requeued] = await app.retry({ documentId: doc.id, state: doc.state });
      if (!requeued) {
        throw new SluiceError('invalid_input', 'This document was refused before it was stored; upload it again');
      }
      return reply.status(202).send(toDocumentView(requeued));
    },
  );

  server.delete('/v1/documents/:id', { schema: { tags: ['documents'], params: idParams } }, async (request, reply) => {
    const doc = await access.document(request.auth.tenantId, request.params.id);
    await app.deleteDocument(doc.id);
    return reply.status(204).send();
  });
}
