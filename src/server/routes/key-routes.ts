import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import type { RouteContext, Server } from '../route-context.js';
import { createKeyBody, createdKeyView, issueKey, keyAnswer, keyView, resolveExpiry } from './key-views.js';

/**
 * A tenant's API keys: admin keys make and revoke them; a tenant's own key may list them. A new
 * key's secret is shown once, in the answer that creates it; lists never show one.
 */
export function registerKeyRoutes(server: Server, { app }: RouteContext): void {
  server.post(
    '/v1/tenants/:tenantId/keys',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Creates a key for a tenant, optionally named and expiring; its secret is in this answer only; admin keys only',
        params: z.object({ tenantId: z.string() }),
        body: createKeyBody,
        response: { 201: createdKeyView },
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
      const { admin, name } = request.body;
      const key = await issueKey(app.store, tenant, {
        admin,
        name,
        expiresAt: resolveExpiry(request.body, new Date()),
      });
      return reply.status(201).send(key);
    },
  );

  server.get(
    '/v1/tenants/:tenantId/keys',
    {
      schema: {
        tags: ['admin'],
        summary:
          "A tenant's keys, revoked and expired ones included, never their secrets; its own keys or an admin key",
        params: z.object({ tenantId: z.string() }),
        response: { 200: z.object({ keys: z.array(keyView) }) },
      },
    },
    async (request) => {
      const tenant = await app.store.getTenant(request.params.tenantId);
      if (!tenant || (!request.auth.admin && request.auth.tenantId !== tenant.id)) {
        throw new SluiceError('not_found', `No tenant ${request.params.tenantId}`);
      }
      const now = new Date();
      return { keys: (await app.store.listApiKeys(tenant.id)).map((key) => keyAnswer(key, now)) };
    },
  );

  server.delete(
    '/v1/tenants/:tenantId/keys/:keyId',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Revokes a key: it fails from the next request on, on every API node. Revoking a revoked key also answers 204. ' +
          'The last active admin key of the deployment cannot be revoked here (403); admin keys only',
        params: z.object({ tenantId: z.string(), keyId: z.string() }),
      },
    },
    async (request, reply) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may revoke keys');
      }
      const { tenantId, keyId } = request.params;
      const key = await app.store.getApiKey(keyId);
      if (key?.tenantId !== tenantId) {
        throw new SluiceError('not_found', `No key ${keyId} in tenant ${tenantId}`);
      }
      const outcome = await app.store.revokeApiKey(keyId, { keepAnAdmin: true });
      if (!outcome) {
        throw new SluiceError('not_found', `No key ${keyId} in tenant ${tenantId}`);
      }
      if (outcome.kind === 'last_admin') {
        // Over the API this would lock every operator out; on the server's machine the CLI can still do it.
        throw new SluiceError(
          'forbidden',
          `${keyId} is the last active admin key of this deployment: create another admin key first, ` +
            `or revoke it on the server's machine with \`sluice keys revoke ${keyId} --force\``,
        );
      }
      return reply.status(204).send();
    },
  );
}
