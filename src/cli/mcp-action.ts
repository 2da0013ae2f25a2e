import { Console } from 'node:console';
import { createTenantAccess } from '../server/tenant-access.js';
import type { CommonFlags } from './command-config.js';
import { withApp } from './with-app.js';

/** `sluice mcp`: an MCP server on stdin/stdout for the collections of the data folder. */
export async function runMcp(flags: CommonFlags): Promise<void> {
  // stdout carries the protocol and nothing else: what a library prints goes to stderr with the logs.
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
  // Loaded here, not with the command line: only this command needs the SDK.
  const [{ StdioServerTransport }, { createMcpServer }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/stdio.js'),
    import('../mcp/create-mcp-server.js'),
  ]);
  process.exitCode = await withApp(
    flags,
    async (app) => {
      const tenant = await app.defaultTenant();
      if (app.config.mcpIngest.length > 0 && !app.queue.shared) {
        // What the ingest tool records is processed here, as `sluice ingest` does; a shared queue's
        // workers take it elsewhere.
        await app.startWorkers();
      }
      const server = createMcpServer(app, { tenantId: tenant.id, access: createTenantAccess(app.store) });
      server.server.onerror = (error) => app.logger.warn({ err: error }, 'MCP message refused');
      const transport = new StdioServerTransport();
      // The client ends the session by closing our stdin; SIGTERM and SIGINT stop us through withApp.
      const ended = new Promise<void>((resolve) => {
        transport.onclose = resolve;
        process.stdin.once('end', resolve).once('close', resolve);
      });
      await server.connect(transport);
      await ended;
      await server.close();
      return 0;
    },
    { needsData: true },
  );
}
