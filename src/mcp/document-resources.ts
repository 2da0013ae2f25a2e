import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Resource } from '@modelcontextprotocol/sdk/types.js';
import { SluiceError } from '../core/errors.js';
import { isTerminal } from '../core/states.js';
import { readDocumentText } from './document-text.js';
import { documentUri } from './document-view.js';
import type { McpCaller, McpContext } from './mcp-context.js';
import { answerResource } from './tool-results.js';

/** Documents listed of each collection, and in all: a listing is a first page, not an inventory. */
const listedPerCollection = 50;
const listedAtMost = 500;
/** The most text one read returns (about 250,000 tokens). */
const maxResourceChars = 1_000_000;

/** The tenant's documents, the first page of each collection's (oldest first). */
async function listDocuments(context: McpContext, caller: McpCaller): Promise<Resource[]> {
  const resources: Resource[] = [];
  for (const collection of await context.store.listCollections(caller.tenantId)) {
    const limit = Math.min(listedPerCollection, listedAtMost - resources.length);
    if (limit <= 0) {
      break;
    }
    const documents = await context.store.listDocuments({
      tenantId: caller.tenantId,
      collectionId: collection.id,
      limit,
    });
    for (const d of documents) {
      resources.push({
        uri: documentUri(d.id),
        name: d.source,
        title: d.source,
        description: `In collection ${collection.name}; ${d.state}`,
        mimeType: 'text/plain',
      });
    }
  }
  return resources;
}

/**
 * Documents as resources, `sluice://documents/{id}`, read as their text put back together from their
 * chunks; a listing names the first documents of each collection.
 */
export function registerDocumentResources(server: McpServer, context: McpContext, caller: McpCaller): void {
  server.registerResource(
    'document',
    new ResourceTemplate('sluice://documents/{id}', {
      list: async () => ({ resources: await listDocuments(context, caller) }),
    }),
    {
      title: 'Document',
      description: 'The text of a document as indexed, put back together from its chunks',
      mimeType: 'text/plain',
    },
    (uri, variables) =>
      answerResource(context.logger, uri, async () => {
        const id = String(variables.id);
        const document = await caller.access.document(caller.tenantId, id);
        const { text, truncated } = await readDocumentText(context.store, document, maxResourceChars);
        if (text === '') {
          throw isTerminal(document.state)
            ? new SluiceError('not_found', `Document ${id} is ${document.state} and holds no text`)
            : new SluiceError(
                'not_ready',
                `Document ${id} is ${document.state}; its text is readable once it completes`,
              );
        }
        return {
          contents: [{ uri: uri.href, mimeType: 'text/plain', text }],
          ...(truncated ? { _meta: { 'sluice.dev/truncated-at': maxResourceChars } } : {}),
        };
      }),
  );
}
