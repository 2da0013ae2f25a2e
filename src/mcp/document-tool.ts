import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { readDocumentText } from './document-text.js';
import { documentSchema, metadataLine, toDocumentView } from './document-view.js';
import type { McpCaller, McpContext } from './mcp-context.js';
import { answerTool, toolAnswer } from './tool-results.js';

/** The most text one call returns; longer documents are read whole as resources. */
const maxTextChars = 200_000;

export function registerDocumentTool(server: McpServer, context: McpContext, caller: McpCaller): void {
  server.registerTool(
    'get_document',
    {
      title: 'Get a document',
      description:
        'A document by id (search hits name it): its state, metadata, error if it failed, chunk count, and its text as indexed, put back together from its chunks.',
      inputSchema: {
        id: z.string().min(1).max(100).describe('Document id, e.g. from a search hit'),
        max_chars: z
          .number()
          .int()
          .min(0)
          .max(maxTextChars)
          .default(20_000)
          .describe('Most characters of its text to return; 0 for none'),
      },
      outputSchema: {
        document: documentSchema,
        text: z.string().nullable().describe('Null when it holds no searchable text (yet)'),
        text_truncated: z.boolean(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      answerTool(context.logger, 'get_document', async () => {
        const document = await caller.access.document(caller.tenantId, args.id);
        const view = toDocumentView(document);
        const read = args.max_chars > 0 ? await readDocumentText(context.store, document, args.max_chars) : undefined;
        const text = read && read.text !== '' ? read.text : null;
        const metadata = metadataLine(view.metadata);
        const lines = [
          `${view.source} (document ${view.id} in collection ${view.collection_id}): ${view.state}`,
          ...(view.error ? [`error [${view.error.code}]: ${view.error.message}`] : []),
          ...(view.duplicate_of ? [`same bytes as document ${view.duplicate_of}`] : []),
          `chunks: ${view.chunks_total}${view.failed_chunks.length > 0 ? ` (${view.failed_chunks.length} failed)` : ''}`,
          ...(view.media_type ? [`type: ${view.media_type}${view.language ? `, language ${view.language}` : ''}`] : []),
          ...(metadata ? [`metadata: ${metadata}`] : []),
          `resource: ${view.uri}`,
          ...(text !== null
            ? ['', text, ...(read?.truncated ? ['', `[… cut at ${args.max_chars} characters]`] : [])]
            : []),
        ];
        return toolAnswer(lines.join('\n'), {
          document: view,
          text,
          text_truncated: read?.truncated ?? false,
        });
      }),
  );
}
