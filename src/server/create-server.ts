import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../app/create-app.js';
import { SluiceError } from '../core/errors.js';
import type { ApiKeyRecord } from '../core/types.js';
import { hashApiKey } from './api-keys.js';
import { sendProblem, toProblem } from './problem.js';
import { registerWebPage } from './web-page.js';
import { registerAdminRoutes } from './routes/admin-routes.js';
import { registerBatchRoutes } from './routes/batch-routes.js';
import { registerCollectionRoutes } from './routes/collection-routes.js';
import { registerDocumentRoutes } from './routes/document-routes.js';
import { registerEventRoutes } from './routes/event-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerQueryRoutes } from './routes/query-routes.js';
import { registerUploadRoutes } from './routes/upload-routes.js';
import { createTenantAccess } from './tenant-access.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key of the request; set on every /v1 route by the auth hook. */
    auth: ApiKeyRecord;
  }
}

export type SluiceServer = FastifyInstance;

/** The HTTP face of Sluice: Fastify, zod schemas at the edge, problem+json errors, OpenAPI at /openapi.json. */
export async function createServer(app: AppContext): Promise<SluiceServer> {
  const server = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    trustProxy: true,
    // SSE streams never go idle; on shutdown they are cut, and clients resume with Last-Event-ID.
    forceCloseConnections: true,
  }).withTypeProvider<ZodTypeProvider>();
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(serializerCompiler);
  const access = createTenantAccess(app.store);

  await server.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Sluice', version: '0.1.0', description: 'Asynchronous document ingestion for retrieval.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await server.register(swaggerUi, { routePrefix: '/docs' });
  server.get('/openapi.json', { schema: { hide: true } }, () => server.swagger());

  await server.register(rateLimit, {
    max: app.config.rateLimitPerMinute,
    timeWindow: 60_000,
    // Per key, not per address: many clients may share a proxy, one client may hold many keys.
    keyGenerator: (request) => request.headers.authorization ?? request.ip,
    allowList: (request) => !request.url.startsWith('/v1/'),
    errorResponseBuilder: (_request, context) =>
      new SluiceError('rate_limited', `Rate limit of ${context.max} requests per minute reached; retry in ${Math.ceil(context.ttl / 1000)} s`),
  });
  await server.register(multipart, {
    // The per-file limit is Sluice's own (the file fails alone, the rest of the upload goes on).
    throwFileSizeLimit: false,
    // A file's name keeps the folders a client sends with it (see sanitizeFilename).
    preservePath: true,
    limits: {
      fileSize: app.config.maxFileBytes + 1,
      files: app.config.maxUploadFiles,
      fields: 20,
      fieldSize: 64 * 1024,
      parts: app.config.maxUploadFiles + 20,
    },
  });

  server.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/v1/')) {
      return;
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const key = match?.[1] ? await app.store.findApiKey(hashApiKey(match[1])) : undefined;
    if (!key) {
      throw new SluiceError('unauthorized', 'Send an API key as `Authorization: Bearer <key>`');
    }
    request.auth = key;
  });

  server.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (problem.unexpected) {
      app.logger.error({ err: error, url: request.url, method: request.method }, 'request failed');
    }
    // Refused before its body was read: the rest of the body is still on the wire, so this
    // connection cannot carry another request. Close it after the answer.
    if (!request.raw.complete) {
      void reply.header('connection', 'close');
    }
    return sendProblem(reply, problem.code, problem.detail, {
      instance: request.url,
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
  });
  server.setNotFoundHandler((request, reply) => sendProblem(reply, 'not_found', `No route ${request.method} ${request.url}`));

  const context = { app, access };
  registerHealthRoutes(server, context);
  registerAdminRoutes(server, context);
  registerCollectionRoutes(server, context);
  registerUploadRoutes(server, context);
  registerBatchRoutes(server, context);
  registerDocumentRoutes(server, context);
  registerEventRoutes(server, context);
  registerQueryRoutes(server, context);
  if (!(await registerWebPage(server))) {
    app.logger.warn({}, 'the web page is not built (npm run build); the API works without it');
  }
  if (app.dashboardQueues.length > 0) {
    // Loaded only with BullMQ queues to show: Bull Board holds about 35 MB an embedded server never uses.
    const { registerQueueDashboard } = await import('./queue-dashboard.js');
    await registerQueueDashboard(server, app.store, app.dashboardQueues);
  }
  return server;
}
