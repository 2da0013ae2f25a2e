import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import { generateApiKey, hashApiKey } from '../api-keys.js';
import type { RouteContext, Server } from '../route-context.js';

const keyView = z.object({ tenant_id: z.string(), key_id: z.string(), api_key: z.string(), admin: z.boolean() });

/** Tenants and keys; admin keys only. A new key is shown once, in the answer that creates it. */
export function registerAdminRoutes(server: Server, { app }: RouteContext): void {
  server.post(
    '/v1/tenants',
    {
      schema: {
        tags: ['admin'],
        body: z.object({ name: z.string().min(1).max(200) }),
        response: { 201: z.object({ tenant: z.object({ id: z.string(), name: z.string() }), key: keyView }) },
      },
    },
    async (request, reply) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may create tenants');
      }
      const tenant = await app.store.ensureTenant(request.body.name);
      const apiKey = generateApiKey();
      const record = await app.store.createApiKey(tenant.id, hashApiKey(apiKey), false);
      return reply.status(201).send({
        tenant: { id: tenant.id, name: tenant.name },
        key: { tenant_id: tenant.id, key_id: record.id, api_key: apiKey, admin: false },
      });
    },
  );

  server.post(
    '/v1/tenants/:tenantId/keys',
    {
      schema: {
        tags: ['admin'],
        params: z.object({ tenantId: z.string() }),
        body: z.object({ admin: z.boolean().default(false) }).default({ admin: false }),
        response: { 201: keyView },
      },
    },
    async (request, reply) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may create keys');
      }
      const tenant = await app.store.getTenant(request.params.tenantId);
      if (!tenant) {
        throw new SluiceError('not_found', `No tenant ${request.params.tenantId}`);
      }
      const apiKey = generateApiKey();
      const record = await app.store.createApiKey(tenant.id, hashApiKey(apiKey), request.body.admin);
      return reply.status(201).send({ tenant_id: tenant.id, key_id: record.id, api_key: apiKey, admin: record.admin });
    },
  );
}
