/** What the MCP server's ingest tool may be handed: text as it is, or a URL the server fetches. */
export const mcpIngestKinds = ['text', 'url'] as const;

export type McpIngestKind = (typeof mcpIngestKinds)[number];

/** The settings the MCP server reads (see `src/app/config.ts` for each one's meaning and default). */
export interface McpSettings {
  maxFileBytes: number;
  /** What `ingest_url_or_text` takes; empty: the tool is not offered. */
  mcpIngest: readonly McpIngestKind[];
  mcpFetchPrivate: boolean;
  mcpFetchMaxBytes: number;
  mcpFetchTimeoutMs: number;
}
