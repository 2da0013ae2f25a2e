import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import type { Tenant } from '../../core/types.js';
import type { RouteContext, Server } from '../route-context.js';
import { createdKeyView, issueKey } from './key-views.js';

const limit = z.number().int().min(0).nullable();
const limitsView = z.object({ max_in_flight: limit, max_documents: limit, max_bytes: limit, max_chunks: limit });
const tenantView = z.object({
  id: z.string(),
  name: z.string(),
  /** The tenant's own limits; null takes the deployment's default. */
  limits: limitsView,
  usage: z.object({ documents: z.number(), bytes: z.number(), chunks: z.number() }),
});

/**
 * Tenants: admin keys only, except that a tenant's own key may read its tenant. A new tenant comes
 * with a first key, whose secret is shown once, in the answer that creates it.
 */
export function registerTenantRoutes(server: Server, { app }: RouteContext): void {
  const tenantAnswer = async (tenant: Tenant): Promise<z.infer<typeof tenantView>> => ({
    id: tenant.id,
    name: tenant.name,
    limits: {
      max_in_flight: tenant.limits.maxInFlight,
      max_documents: tenant.limits.maxDocuments,
      max_bytes: tenant.limits.maxBytes,
      max_chunks: tenant.limits.maxChunks,
    },
    usage: await app.store.getTenantUsage(tenant.id),
  });

  server.get(
    '/v1/tenants/:tenantId',
    {
      schema: {
        tags: ['admin'],
        summary: "A tenant's limits and what it holds; its own keys or an admin key",
        params: z.object({ tenantId: z.string() }),
        response: { 200: tenantView },
      },
    },
    async (request) => {
      const tenant = await app.store.getTenant(request.params.tenantId);
      if (!tenant || (!request.auth.admin && request.auth.tenantId !== tenant.id)) {
        throw new SluiceError('not_found', `No tenant ${request.params.tenantId}`);
      }
      return tenantAnswer(tenant);
    },
  );

  server.patch(
    '/v1/tenants/:tenantId/limits',
    {
      schema: {
        tags: ['admin'],
        summary:
          "Sets a tenant's share of the workers and its quotas (null: the deployment's default); admin keys only",
        params: z.object({ tenantId: z.string() }),
        body: limitsView.partial(),
        response: { 200: tenantView },
      },
    },
    async (request) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may change limits');
      }
      const tenant = await app.store.getTenant(request.params.tenantId);
      if (!tenant) {
        throw new SluiceError('not_found', `No tenant ${request.params.tenantId}`);
      }
      const body = request.body;
      const updated = await app.store.setTenantLimits(tenant.id, {
        maxInFlight: body.max_in_flight !== undefined ? body.max_in_flight : tenant.limits.maxInFlight,
        maxDocuments: body.max_documents !== undefined ? body.max_documents : tenant.limits.maxDocuments,
        maxBytes: body.max_bytes !== undefined ? body.max_bytes : tenant.limits.maxBytes,
        maxChunks: body.max_chunks !== undefined ? body.max_chunks : tenant.limits.maxChunks,
      });
      // A larger share may let waiting documents in now.
      await app.dispatcher.tenant(tenant.id);
      return tenantAnswer(updated ?? tenant);
    },
  );

  server.delete(
    '/v1/tenants/:tenantId',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Deletes a tenant and everything of it: collections, documents, chunks, raw files, keys; admin keys only',
        description:
          'A tenant that holds an active admin key cannot be deleted (403): revoke its admin keys first, so ' +
          'that no one deletes the keys they and every other operator sign in with.',
        params: z.object({ tenantId: z.string() }),
      },
    },
    async (request, reply) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may delete tenants');
      }
      const tenant = await app.store.getTenant(request.params.tenantId);
      if (!tenant) {
        throw new SluiceError('not_found', `No tenant ${request.params.tenantId}`);
      }
      const now = new Date().toISOString();
      const admins = (await app.store.listApiKeys(tenant.id)).filter(
        (key) => key.admin && key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now),
      );
      if (admins.length > 0) {
        throw new SluiceError(
          'forbidden',
          `Tenant ${tenant.id} holds active admin keys (${admins.map((key) => key.id).join(', ')}): revoke them first`,
        );
      }
      await app.deleteTenant(tenant.id);
      return reply.status(204).send();
    },
  );

  server.post(
    '/v1/tenants',
    {
      schema: {
        tags: ['admin'],
        summary: 'Creates a tenant (or finds it by name) and a first, non-admin key for it; admin keys only',
        body: z.object({ name: z.string().min(1).max(200) }),
        response: { 201: z.object({ tenant: z.object({ id: z.string(), name: z.string() }), key: createdKeyView }) },
      },
    },
    async (request, reply) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may create tenants');
      }
      const tenant = await app.store.ensureTenant(request.body.name);
      const key = await issueKey(app.store, tenant, { admin: false });
      return reply.status(201).send({ tenant: { id: tenant.id, name: tenant.name }, key });
    },
  );
}
