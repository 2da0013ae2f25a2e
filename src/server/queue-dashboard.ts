import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../ports/store.js';
import { hashApiKey } from './api-keys.js';
import { sendProblem } from './problem.js';

export const dashboardPath = '/admin/queues';

/** The API key a browser or client sent: a Bearer token, or the password of HTTP Basic (any user name). */
function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (bearer) {
    return bearer;
  }
  const basic = /^Basic\s+(\S+)$/i.exec(header)?.[1];
  if (!basic) {
    return undefined;
  }
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/**
 * Bull Board at /admin/queues, for admin keys only. Browsers get an HTTP Basic prompt (password: the
 * admin API key), so the dashboard opens without a client that can set a Bearer header.
 */
export async function registerQueueDashboard(
  server: FastifyInstance,
  store: Store,
  queues: readonly Queue[],
): Promise<void> {
  const adapter = new FastifyAdapter();
  adapter.setBasePath(dashboardPath);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  await server.register(
    async (scope) => {
      scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
        const key = presentedKey(request);
        const record = key ? await store.findApiKey(hashApiKey(key)) : undefined;
        if (!record?.admin) {
          void reply.header('www-authenticate', 'Basic realm="Sluice queues", charset="UTF-8"');
          await sendProblem(
            reply,
            'unauthorized',
            'The queue dashboard needs an admin API key (as Bearer token or Basic password)',
          );
        }
      });
      // The board lives below its base path; the bare path, as people type it, leads there.
      scope.get('', { schema: { hide: true } }, (_request, reply) => reply.redirect(`${dashboardPath}/`));
      await scope.register(adapter.registerPlugin(), { prefix: '/' });
    },
    { prefix: dashboardPath },
  );
}
