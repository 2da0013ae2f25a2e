import { SluiceError } from '../core/errors.js';
import type { Collection, DocumentRecord, SearchHit } from '../core/types.js';
import type { IngestDependencies } from '../services/ingest-service.js';
import type { SearchRequest } from '../services/search-service.js';
import type { McpSettings } from './mcp-settings.js';

/**
 * What the MCP server needs of the running service, and nothing more: the API's context and the CLI's
 * app both give it, so the same tools answer over HTTP and over stdio.
 */
export interface McpContext extends IngestDependencies {
  config: McpSettings;
  /** Throws `quota_exceeded` if the tenant cannot take this many more documents and bytes. */
  checkQuota(tenantId: string, incoming: { documents: number; bytes: number }): Promise<void>;
  search(collection: Collection, request: SearchRequest): Promise<SearchHit[]>;
}

/**
 * Loads what a tenant may see, as the REST routes do: anything of another tenant is `not_found`,
 * exactly like what does not exist.
 */
export interface McpTenantAccess {
  collection(tenantId: string, id: string): Promise<Collection>;
  document(tenantId: string, id: string): Promise<DocumentRecord>;
}

/** Who the tools act for: one tenant, through the same access checks as the REST routes. */
export interface McpCaller {
  tenantId: string;
  access: McpTenantAccess;
}

/** A collection of the caller's tenant, by name or by id (names first: a name may look like an id). */
export async function findCollection(context: McpContext, caller: McpCaller, ref: string): Promise<Collection> {
  const named = await context.store.getCollectionByName(caller.tenantId, ref);
  if (named) {
    return named;
  }
  try {
    return await caller.access.collection(caller.tenantId, ref);
  } catch (error) {
    if (error instanceof SluiceError && error.code === 'not_found') {
      throw new SluiceError('not_found', `No collection named or with id "${ref}"; list_collections names them`, {
        cause: error,
      });
    }
    throw error;
  }
}
