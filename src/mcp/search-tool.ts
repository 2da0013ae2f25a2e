import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { queryFilterSchema } from '../core/query-filter-schema.js';
import { toSearchScope } from '../core/query-filter.js';
import { findCollection, type McpCaller, type McpContext } from './mcp-context.js';
import { hitSchema, metadataLine, toHitView } from './document-view.js';
import { answerTool, toolAnswer } from './tool-results.js';

export function registerSearchTool(server: McpServer, context: McpContext, caller: McpCaller): void {
  server.registerTool(
    'search',
    {
      title: 'Search a collection',
      description:
        'Finds the chunks of a collection’s documents that best answer a query: hybrid (vectors and full text fused, the default), vector or text. Each hit gives its document’s source, id and metadata, its score and its whole text.',
      inputSchema: {
        collection: z.string().min(1).max(200).describe('Collection name or id (list_collections names them)'),
        query: z.string().min(1).max(10_000).describe('What to look for, in words'),
        mode: z.enum(['hybrid', 'vector', 'text']).default('hybrid'),
        filter: queryFilterSchema.optional().describe('Only chunks of the documents that meet every condition given'),
        top_k: z.number().int().min(1).max(100).default(5).describe('How many chunks'),
      },
      outputSchema: { collection_id: z.string(), hits: z.array(hitSchema) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      answerTool(context.logger, 'search', async () => {
        const collection = await findCollection(context, caller, args.collection);
        const hits = await context.search(collection, {
          query: args.query,
          topK: args.top_k,
          mode: args.mode,
          filter: toSearchScope(args.filter),
        });
        const views = hits.map(toHitView);
        const lines = views.map((hit, i) => {
          const where = `chunk ${hit.chunk_index}${hit.page !== null ? `, page ${hit.page}` : ''}`;
          const metadata = metadataLine(hit.metadata);
          return [
            `[${i + 1}] ${hit.source} (document ${hit.document_id}, ${where}) score ${hit.score.toFixed(4)}`,
            ...(metadata ? [`metadata: ${metadata}`] : []),
            hit.text,
          ].join('\n');
        });
        const heading =
          views.length === 0
            ? `No match in "${collection.name}".`
            : `${views.length} chunk${views.length === 1 ? '' : 's'} from "${collection.name}" (${args.mode}):`;
        return toolAnswer([heading, ...lines].join('\n\n'), { collection_id: collection.id, hits: views });
      }),
  );
}
