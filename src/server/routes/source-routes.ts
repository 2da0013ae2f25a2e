import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import { parseBucketUrl } from '../../core/bucket-url.js';
import { keyFilter, patternLimits } from '../../services/key-patterns.js';
import { scanRunning } from '../../services/scan-source.js';
import type { RouteContext, Server } from '../route-context.js';
import { scanView, sourceView, toScanView, toSourceView } from '../source-views.js';

const idParams = z.object({ id: z.string() });
const patterns = z.array(z.string().min(1).max(patternLimits.length)).max(patternLimits.count).default([]);

export function registerSourceRoutes(server: Server, { app, access }: RouteContext): void {
  /** Refuses a bucket the service does not scan for API keys, whenever it is asked (the list may have changed). */
  const assertScannable = (bucket: string): void => {
    const allowed = app.config.sourceBuckets;
    if (!allowed.includes('*') && !allowed.includes(bucket)) {
      throw new SluiceError('forbidden', `Bucket ${bucket} is not one this service scans (SLUICE_SOURCE_BUCKETS)`);
    }
  };
  const sourceOfTenant = async (tenantId: string, id: string) => {
    const source = await app.store.getSource(id);
    if (!source || !(await access.collection(tenantId, source.collectionId).catch(() => undefined))) {
      throw new SluiceError('not_found', `No source ${id}`);
    }
    return source;
  };

  server.post(
    '/v1/collections/:id/sources',
    {
      schema: {
        tags: ['sources'],
        summary:
          'Adds a bucket prefix the collection is scanned from (or sets the patterns of the one it has); the bucket is checked first',
        params: idParams,
        body: z.object({
          type: z.literal('s3'),
          url: z
            .string()
            .max(1024)
            .regex(/^s3:\/\//, 'an s3://bucket/prefix/ address'),
          include: patterns,
          exclude: patterns,
        }),
        response: { 201: sourceView, 200: sourceView },
      },
    },
    async (request, reply) => {
      const collection = await access.collection(request.auth.tenantId, request.params.id);
      const { include, exclude } = request.body;
      const { bucket, url } = parseBucketUrl(request.body.url);
      assertScannable(bucket);
      (await app.openSource(url)).close();
      const { source, created } = await app.store.ensureSource({
        collectionId: collection.id,
        type: 's3',
        url,
        include,
        exclude,
      });
      return reply
        .status(created ? 201 : 200)
        .header('location', `/v1/sources/${source.id}`)
        .send(toSourceView(source));
    },
  );

  server.get(
    '/v1/collections/:id/sources',
    { schema: { tags: ['sources'], params: idParams, response: { 200: z.object({ sources: z.array(sourceView) }) } } },
    async (request) => {
      const collection = await access.collection(request.auth.tenantId, request.params.id);
      return { sources: (await app.store.listSources(collection.id)).map(toSourceView) };
    },
  );

  server.get(
    '/v1/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'A source, with its running or last scan',
        params: idParams,
        response: { 200: sourceView },
      },
    },
    async (request) => toSourceView(await sourceOfTenant(request.auth.tenantId, request.params.id)),
  );

  server.delete(
    '/v1/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'Removes a source; the documents scanned from it stay in the collection',
        params: idParams,
      },
    },
    async (request, reply) => {
      const source = await sourceOfTenant(request.auth.tenantId, request.params.id);
      await app.store.deleteSource(source.id);
      return reply.status(204).send();
    },
  );

  server.post(
    '/v1/sources/:id/scan',
    {
      schema: {
        tags: ['sources'],
        summary:
          'Scans the source now: new and changed objects are ingested into a new batch, unchanged ones left; with prune, documents of objects gone are removed. Answers 202 as the scan starts; the source shows how it goes',
        params: idParams,
        body: z
          .object({ prune: z.boolean().default(false), priority: z.number().int().min(-100).max(100).default(0) })
          .nullish(),
        response: { 202: z.object({ source_id: z.string(), scan: scanView }) },
      },
    },
    async (request, reply) => {
      const source = await sourceOfTenant(request.auth.tenantId, request.params.id);
      const collection = await access.collection(request.auth.tenantId, source.collectionId);
      assertScannable(parseBucketUrl(source.url).bucket);
      // Refused before a batch is made for it; a scan whose process of this host died is taken over.
      if (scanRunning(source.scan)) {
        throw new SluiceError(
          'scan_running',
          `Source ${source.id} is being scanned already; try again when it is done`,
        );
      }
      keyFilter(source.include, source.exclude);
      (await app.openSource(source.url)).close();
      const batch = await app.store.createBatch(collection.id, source.url);
      const { report, finished } = await app.scanSource({
        source,
        collection,
        batch,
        priority: request.body?.priority ?? 0,
        prune: request.body?.prune ?? false,
      });
      finished.catch((error: unknown) => app.logger.warn({ err: error, source: source.id }, 'scan ended early'));
      return reply
        .status(202)
        .header('location', `/v1/sources/${source.id}`)
        .send({ source_id: source.id, scan: toScanView(report) });
    },
  );
}
