import type { IncomingMessage } from 'node:http';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { errorCatalogue, SluiceError } from '../core/errors.js';
import type { ApiKeyRecord } from '../core/types.js';
import { createAuthFailureLimiter } from './auth-failure-limiter.js';
import { createAuthHook } from './auth-hook.js';
import { fieldBytes } from './receive-upload.js';
import { registerBodyTimeout } from './body-timeout.js';
import { answerClientError, answerFrameworkError } from './client-errors.js';
import { apiComponentSchemas } from './api-components.js';
import { createKeyAuthenticator } from './key-authenticator.js';
import { sendProblem, toProblem } from './problem.js';
import type { ServerContext } from './server-context.js';
import { registerWebPage } from './web-page.js';
import { registerBatchRoutes } from './routes/batch-routes.js';
import { registerCollectionRoutes } from './routes/collection-routes.js';
import { registerDocumentRoutes } from './routes/document-routes.js';
import { registerEventRoutes } from './routes/event-routes.js';
import { registerHealthRoutes, registerStatusRoutes } from './routes/health-routes.js';
import { registerKeyRoutes } from './routes/key-routes.js';
import { registerMcpRoutes } from './routes/mcp-routes.js';
import { registerQueryRoutes } from './routes/query-routes.js';
import { registerSourceRoutes } from './routes/source-routes.js';
import { registerStatsRoutes } from './routes/stats-routes.js';
import { registerTenantRoutes } from './routes/tenant-routes.js';
import { registerUploadRoutes } from './routes/upload-routes.js';
import { createTenantAccess } from './tenant-access.js';

/** What a `503` asks a client to wait before it tries again. */
const unavailableRetrySeconds = 5;

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key of the request; set on every route of the API by the auth hook. */
    auth: ApiKeyRecord;
  }
}

export type SluiceServer = FastifyInstance;

/** The most of a refused body that is read and dropped after the answer rather than cut off. */
const drainableBytes = 16 * 1024 * 1024;

/**
 * Whether the rest of a body refused before it was all in will be read and dropped after the answer:
 * so that a client still sending it gets the answer, where closing the connection under it would show
 * it a failed write instead, and the connection lives on. Node drops a body no one has read; one a
 * parser has begun is unhooked from it here. Past `drainableBytes` (declared, or counted as it comes
 * without a length) the connection is closed: a large body would keep it busy for nothing.
 */
function drainsAfterAnswer(raw: IncomingMessage): boolean {
  const declared = raw.headers['content-length'];
  const length = declared === undefined ? undefined : Number(declared);
  if (length !== undefined && !(Number.isFinite(length) && length <= drainableBytes)) {
    return false;
  }
  if (raw.readableDidRead) {
    let dropped = 0;
    raw.unpipe();
    raw.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > drainableBytes) {
        raw.socket.destroy();
      }
    });
    raw.on('error', () => undefined);
    raw.resume();
  }
  return length !== undefined || raw.readableDidRead;
}

/** The HTTP face of Sluice: Fastify, zod schemas at the edge, problem+json errors, OpenAPI at /openapi.json. */

export async function createServer(app: ServerContext): Promise<SluiceServer> {
  const server = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    trustProxy: app.config.trustProxy,
    // SSE streams never go idle; on shutdown they are cut, and clients resume with Last-Event-ID.
    forceCloseConnections: true,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  }).withTypeProvider<ZodTypeProvider>();
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(serializerCompiler);
  server.decorateRequest('auth', undefined as unknown as ApiKeyRecord);
  const access = createTenantAccess(app.store);
  const keys = createKeyAuthenticator(app.store, {
    onError: (error, keyId) => app.logger.warn({ err: error, keyId }, 'could not record the last use of an API key'),
  });

  await server.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Sluice', version: '0.1.0', description: 'Asynchronous document ingestion for retrieval.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } }, schemas: apiComponentSchemas },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await server.register(swaggerUi, { routePrefix: '/docs' });
  server.get('/openapi.json', { schema: { hide: true } }, () => server.swagger());

  await server.register(multipart, {
    // The per-file limit is Sluice's own (the file fails alone, the rest of the upload goes on).
    throwFileSizeLimit: false,
    // A file's name keeps the folders a client sends with it (see sanitizeFilename).
    preservePath: true,
    limits: {
      fileSize: app.config.maxFileBytes + 1,
      files: app.config.maxUploadFiles,
      fields: 20,
      fieldSize: fieldBytes,
      parts: app.config.maxUploadFiles + 20,
    },
  });
  registerBodyTimeout(server, app.config.bodyTimeoutMs);

  server.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (problem.unexpected) {
      app.logger.error({ err: error, url: request.url, method: request.method }, 'request failed');
    }
    if (reply.sent) {
      return;
    }
    // Refused before its body was in: the rest is read and dropped, or the connection closes.
    if (!request.raw.complete && !drainsAfterAnswer(request.raw)) {
      void reply.header('connection', 'close');
    }
    // A dependency that went away usually comes back within seconds (a restart, a failover).
    if (errorCatalogue[problem.code].httpStatus === 503) {
      void reply.header('retry-after', String(unavailableRetrySeconds));
    }
    return sendProblem(reply, problem.code, problem.detail, {
      instance: request.url,
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
  });
  server.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 'not_found', `No route ${request.method} ${request.url.slice(0, 200)}`),
  );

  const context = { app, access };
  registerHealthRoutes(server, context);
  // Every route of the API is registered in this scope, so its hooks apply to the route, whatever
  // spelling of the path reached it: authentication is decided by the route, never by the URL.
  await server.register(async (scope) => {
    const api = scope.withTypeProvider<ZodTypeProvider>();
    api.addHook(
      'onRequest',
      createAuthHook({
        authenticate: (secret) => keys.authenticate(secret),
        failures: createAuthFailureLimiter({ maxPerWindow: app.config.authFailuresPerMinute, windowMs: 60_000 }),
      }),
    );
    await api.register(rateLimit, {
      max: app.config.rateLimitPerMinute,
      timeWindow: 60_000,
      // After authentication, per key: not per spelling of the header, and not per address (many
      // clients may share a proxy, one client may hold many keys).
      hook: 'preParsing',
      keyGenerator: (request) => request.auth.id,
      errorResponseBuilder: (_request, context) =>
        new SluiceError(
          'rate_limited',
          `Rate limit of ${context.max} requests per minute reached; retry in ${Math.ceil(context.ttl / 1000)} s`,
        ),
    });
    registerStatusRoutes(api, context);
    registerStatsRoutes(api, context);
    registerTenantRoutes(api, context);
    registerKeyRoutes(api, context);
    registerCollectionRoutes(api, context);
    registerUploadRoutes(api, context);
    registerBatchRoutes(api, context);
    registerDocumentRoutes(api, context);
    registerEventRoutes(api, context);
    registerQueryRoutes(api, context);
    registerSourceRoutes(api, context);
    registerMcpRoutes(api, context);
  });
  if (!(await registerWebPage(server))) {
    app.logger.warn({}, 'the web page is not built (npm run build); the API works without it');
  }
  if (app.dashboardQueues.length > 0) {
    // Loaded only with BullMQ queues to show: Bull Board holds memory an embedded server never uses (BENCH.md).
    const { registerQueueDashboard } = await import('./queue-dashboard.js');
    await registerQueueDashboard(server, app.store, app.dashboardQueues);
  }
  return server;
}
