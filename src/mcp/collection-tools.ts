import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { McpCaller, McpContext } from './mcp-context.js';
import { answerTool, toolAnswer } from './tool-results.js';

const collectionSchema = z.object({
  id: z.string(),
  name: z.string(),
  embedder: z.object({ name: z.string(), model: z.string(), dimension: z.number() }),
  documents: z.number(),
  documents_by_state: z.record(z.string(), z.number()),
  /** Chunks published for search. */
  chunks: z.number(),
  created_at: z.string(),
});

export function registerCollectionTools(server: McpServer, context: McpContext, caller: McpCaller): void {
  server.registerTool(
    'list_collections',
    {
      title: 'List collections',
      description: 'The collections that can be searched, with how many documents and chunks each holds.',
      outputSchema: { collections: z.array(collectionSchema) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () =>
      answerTool(context.logger, 'list_collections', async () => {
        const collections = await Promise.all(
          (await context.store.listCollections(caller.tenantId)).map(async (c) => {
            const [stats, chunks] = await Promise.all([
              context.store.getCollectionStats(c.id),
              context.store.countChunks(c.id),
            ]);
            return {
              id: c.id,
              name: c.name,
              embedder: c.embedder,
              documents: Object.values(stats.documents).reduce((sum, n) => sum + n, 0),
              documents_by_state: stats.documents,
              chunks,
              created_at: c.createdAt,
            };
          }),
        );
        const text =
          collections.length === 0
            ? 'No collections yet.'
            : collections.map((c) => `${c.name} (id ${c.id}): ${c.documents} documents, ${c.chunks} chunks`).join('\n');
        return toolAnswer(text, { collections });
      }),
  );
}
