import { SluiceError } from '../core/errors.js';
import { mintApiKey } from '../server/api-keys.js';
import { print } from './output.js';
import type { CommonFlags } from './command-config.js';
import { boundShutdown, withApp } from './with-app.js';

export interface ServeFlags extends CommonFlags {
  port?: string;
  host?: string;
  workers?: boolean;
}

/** `sluice serve`: the HTTP API, and unless `--no-workers` the workers, until SIGINT or SIGTERM. */
export async function runServe(flags: ServeFlags): Promise<void> {
  // Commander defaults `--no-workers` to true: only its use may override SLUICE_WORKERS.
  const { workers, ...rest } = flags;
  process.exitCode = await withApp(
    { ...rest, ...(workers === false ? { workers: 'false' } : {}) },
    async (app) => {
      // First start: a default tenant and an admin key, shown this once (only its hash is kept).
      if ((await app.store.countApiKeys()) === 0) {
        const tenant = await app.defaultTenant();
        const key = mintApiKey();
        await app.store.createApiKey({
          tenantId: tenant.id,
          keyHash: key.keyHash,
          prefix: key.prefix,
          admin: true,
          name: 'first admin key',
        });
        print(`Created tenant "${tenant.name}" with an admin API key (shown once, keep it):\n\n  ${key.secret}\n`);
      }
      if (app.config.workers) {
        await app.startWorkers();
      }
      // Loaded here, not with the CLI: the HTTP stack (Fastify, OpenAPI, dashboard) is tens of MB
      // that `sluice worker` and the other commands never use.
      const { createServer } = await import('../server/create-server.js');
      const server = await createServer(app);
      const address = await server.listen({ port: app.config.port, host: app.config.host }).catch((error: unknown) => {
        const code = (error as { code?: string }).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          const why =
            code === 'EADDRINUSE'
              ? 'is already in use'
              : code === 'EACCES'
                ? 'needs privileges'
                : 'is not an address of this machine';
          throw new SluiceError(
            'invalid_config',
            `Cannot listen on ${app.config.host}:${app.config.port}: it ${why} (PORT, SLUICE_HOST)`,
            { cause: error },
          );
        }
        throw error;
      });
      print(`Sluice listening on ${address} (API at /v1, docs at /docs, workers ${app.config.workers ? 'on' : 'off'})`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      print('shutting down: no new requests; running documents finish or resume on the next start');
      boundShutdown(app.config.shutdownGraceMs);
      await server.close();
      return 0;
    },
    { handleSignals: false, servesRequests: true, defaultLogLevel: 'info' },
  );
}
