import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerCollectionTools } from './collection-tools.js';
import { registerDocumentResources } from './document-resources.js';
import { registerDocumentTool } from './document-tool.js';
import { registerIngestTool } from './ingest-tool.js';
import type { McpCaller, McpContext } from './mcp-context.js';
import { registerSearchTool } from './search-tool.js';

const instructions =
  'Sluice holds collections of documents, split into chunks and indexed for retrieval. Call list_collections to see what there is, search to find the chunks that answer a question, and get_document (or read its sluice://documents/{id} resource) for a whole document.';

/**
 * An MCP server over the collections of one tenant: the same tools answer over stdio (`sluice mcp`,
 * the default tenant) and over HTTP (`/mcp`, a new one per request, for the API key's tenant).
 */
export function createMcpServer(context: McpContext, caller: McpCaller): McpServer {
  const server = new McpServer({ name: 'sluice', version: '0.1.0' }, { instructions });
  registerSearchTool(server, context, caller);
  registerCollectionTools(server, context, caller);
  registerDocumentTool(server, context, caller);
  if (context.config.mcpIngest.length > 0) {
    registerIngestTool(server, context, caller);
  }
  registerDocumentResources(server, context, caller);
  return server;
}
