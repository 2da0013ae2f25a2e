import { createHash } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { parseMetadata } from '../core/document-metadata.js';
import { SluiceError } from '../core/errors.js';
import { receiveAndAccept } from '../services/ingest-service.js';
import { documentSchema, metadataSchema, toDocumentView } from './document-view.js';
import { fetchUrl } from './fetch-url.js';
import { findCollection, type McpCaller, type McpContext } from './mcp-context.js';
import { answerTool, toolAnswer } from './tool-results.js';
import { waitForDocument } from './wait-for-document.js';

/** The longest an ingest may wait for its document: beyond it, a call would outlive common client timeouts. */
const maxWaitSeconds = 60;

const inputSchema = z
  .object({
    collection: z.string().min(1).max(200).describe('Collection name or id; it must exist'),
    text: z.string().min(1).optional().describe('The text to ingest (plain text, Markdown or HTML)'),
    name: z
      .string()
      .min(1)
      .max(200)
      .refine((name) => !/\p{Cc}/u.test(name), 'must hold no control characters')
      .optional()
      .describe('Source name of the text, e.g. notes/meeting.md; the same name again replaces that document'),
    url: z.string().max(2000).optional().describe('An http(s) URL the server fetches and ingests'),
    metadata: metadataSchema.optional().describe('Fields to attach, filterable in searches'),
    wait_seconds: z
      .number()
      .min(0)
      .max(maxWaitSeconds)
      .default(0)
      .describe('Seconds to wait for the document to be searchable before answering'),
  })
  .strict();

type IngestInput = z.infer<typeof inputSchema>;

/** The bytes to ingest and the source they are recorded under. */
async function contentOf(context: McpContext, input: IngestInput): Promise<{ source: string; bytes: Uint8Array }> {
  const limit = context.config.maxFileBytes;
  if (input.url !== undefined) {
    const { mcpFetchPrivate, mcpFetchMaxBytes, mcpFetchTimeoutMs } = context.config;
    const bytes = await fetchUrl(input.url, {
      allowPrivate: mcpFetchPrivate,
      maxBytes: Math.min(mcpFetchMaxBytes, limit),
      timeoutMs: mcpFetchTimeoutMs,
    });
    return { source: input.url, bytes };
  }
  const bytes = new TextEncoder().encode(input.text);
  if (bytes.length > limit) {
    throw new SluiceError('file_too_large', `The text is ${bytes.length} bytes; the limit is ${limit}`);
  }
  // Unnamed text is named by its content, so sending it again finds the same document.
  const source = input.name ?? `text-${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.txt`;
  return { source, bytes };
}

/**
 * `ingest_url_or_text`, offered when the settings allow it (`mcpIngest`): text, or a URL the server
 * fetches, becomes a document of an existing collection, as one file of a batch of its own.
 */
export function registerIngestTool(server: McpServer, context: McpContext, caller: McpCaller): void {
  const kinds = context.config.mcpIngest;
  // The schema offered leaves out what the settings turn off; being strict, it refuses those fields.
  const offered = kinds.includes('url')
    ? kinds.includes('text')
      ? inputSchema
      : inputSchema.omit({ text: true, name: true })
    : inputSchema.omit({ url: true });
  const what = kinds.includes('url')
    ? kinds.includes('text')
      ? '`text`, or the page at a `url` (fetched by the server),'
      : 'the page at a `url` (fetched by the server)'
    : '`text`';
  server.registerTool(
    'ingest_url_or_text',
    {
      title: 'Ingest text or a URL',
      description: `Adds ${what} to a collection as a document: it is parsed, chunked, embedded and indexed in the background. Answers with its batch and document ids; wait_seconds waits for it to become searchable.`,
      inputSchema: offered as unknown as typeof inputSchema,
      outputSchema: {
        batch_id: z.string(),
        outcome: z.enum(['queued', 'skipped', 'pending', 'rejected']),
        document: documentSchema,
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: kinds.includes('url') },
    },
    (input, extra) =>
      answerTool(context.logger, 'ingest_url_or_text', async () => {
        if ((input.text === undefined) === (input.url === undefined)) {
          const fields = kinds.map((kind) => `\`${kind}\``).join(' or ');
          throw new SluiceError('invalid_input', `Give ${kinds.length > 1 ? 'one of ' : ''}${fields}`);
        }
        const collection = await findCollection(context, caller, input.collection);
        const metadata = input.metadata ? parseMetadata(input.metadata) : undefined;
        const { source, bytes } = await contentOf(context, input);
        await context.checkQuota(caller.tenantId, { documents: 1, bytes: bytes.length });
        const batch = await context.store.createBatch(collection.id, `MCP: ${source.slice(0, 200)}`);
        const outcome = await receiveAndAccept(
          context,
          { collection, batch },
          {
            source,
            sizeBytes: bytes.length,
            // eslint-disable-next-line @typescript-eslint/require-await -- the port reads an async iterable
            open: async function* () {
              yield bytes;
            },
            ...(metadata ? { metadata } : {}),
          },
          context.config.maxFileBytes,
        );
        const document =
          input.wait_seconds > 0
            ? await waitForDocument(context.store, outcome.document, input.wait_seconds, extra.signal)
            : outcome.document;
        const view = toDocumentView(document);
        const text = [
          `${source}: document ${view.id} of batch ${batch.id}, ${view.state}${outcome.kind === 'skipped' ? ' (the same bytes are already in the collection)' : ''}`,
          ...(view.error ? [`error [${view.error.code}]: ${view.error.message}`] : []),
        ].join('\n');
        return toolAnswer(text, { batch_id: batch.id, outcome: outcome.kind, document: view });
      }),
  );
}
