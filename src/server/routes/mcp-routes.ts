import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpServer } from '../../mcp/create-mcp-server.js';
import type { RouteContext, Server } from '../route-context.js';

/** What a stateless server answers to GET (a stream of its own messages) and DELETE (end a session). */
const postOnly = {
  jsonrpc: '2.0',
  error: { code: -32000, message: 'Method not allowed: this MCP endpoint is stateless; POST each message' },
  id: null,
};

/**
 * MCP over Streamable HTTP at `/mcp`, behind the API's keys: stateless, a new server and transport for
 * each request, scoped to the key's tenant, so any API node answers any message. Hidden from the
 * OpenAPI document, which describes the REST API alone.
 */
export function registerMcpRoutes(server: Server, { app, access }: RouteContext): void {
  server.post('/mcp', { schema: { hide: true } }, async (request, reply) => {
    const mcp = createMcpServer(app, { tenantId: request.auth.tenantId, access });
    // No session id generator: stateless. Answers come as one JSON body, never as a stream left open.
    const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
    mcp.server.onerror = (error) => app.logger.warn({ err: error }, 'MCP message refused');
    // The transport writes the answer itself; whatever way the exchange ends, both are closed with it.
    reply.hijack();
    reply.raw.once('close', () => {
      mcp.close().catch((error: unknown) => app.logger.warn({ err: error }, 'an MCP exchange did not close cleanly'));
    });
    try {
      await mcp.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    } catch (error) {
      app.logger.error({ err: error, url: request.url }, 'MCP request failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' });
      }
      reply.raw.end();
    }
  });
  for (const method of ['GET', 'DELETE'] as const) {
    server.route({
      method,
      url: '/mcp',
      schema: { hide: true },
      handler: (_request, reply) => reply.status(405).header('allow', 'POST').send(postOnly),
    });
  }
}
