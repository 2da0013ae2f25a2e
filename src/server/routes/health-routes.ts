import { heartbeatMs } from '../../app/create-app.js';
import type { RouteContext, Server } from '../route-context.js';
import { sendProblem } from '../problem.js';

export function registerHealthRoutes(server: Server, { app }: RouteContext): void {
  server.get('/healthz', { schema: { tags: ['health'], security: [] } }, () => ({ status: 'ok' }));

  server.get('/readyz', { schema: { tags: ['health'], security: [] } }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    await app.store.ping().then(
      () => (checks.ledger = 'ok'),
      (error: unknown) => (checks.ledger = `failing: ${error instanceof Error ? error.message : String(error)}`),
    );
    await app.queue.stats().then(
      () => (checks.queue = 'ok'),
      (error: unknown) => (checks.queue = `failing: ${error instanceof Error ? error.message : String(error)}`),
    );
    // Live workers anywhere on this ledger: this process's own, or `sluice worker` processes.
    const live = await app.store.listLiveWorkers(heartbeatMs * 3).catch(() => []);
    checks.workers = live.length > 0 ? `ok (${live.length} live)` : 'failing: no worker has sent a heartbeat recently';
    const failing = Object.entries(checks).filter(([, v]) => v.startsWith('failing'));
    if (failing.length > 0) {
      return sendProblem(reply, 'not_ready', `Not ready: ${failing.map(([k, v]) => `${k} ${v}`).join('; ')}`, { errors: checks });
    }
    return { status: 'ready', checks };
  });

  server.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    void reply.type(app.metrics.registry.contentType);
    return app.metrics.registry.metrics();
  });
}
