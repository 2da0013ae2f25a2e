import { SluiceApiError, SluiceClient, type QueryRequest } from '@sluice/client';

/** How to reach a Sluice server: a client of your own, or the server's URL and an API key. */
export type SluiceConnection =
  { client: SluiceClient; baseUrl?: never; apiKey?: never } | { client?: never; baseUrl: string; apiKey?: string };

/** A query's filter, as the query API takes it: every condition given must hold. */
export type SluiceFilter = NonNullable<QueryRequest['filter']>;

/** `hybrid` (vector and full text fused by rank), `vector` or `text` (BM25). */
export type SluiceSearchMode = NonNullable<QueryRequest['mode']>;

export function clientOf(connection: SluiceConnection): SluiceClient {
  if (connection.client) {
    return connection.client;
  }
  if (!connection.baseUrl) {
    throw new Error('Pass `client`, or `baseUrl` and `apiKey`, to reach the Sluice server');
  }
  return new SluiceClient({
    baseUrl: connection.baseUrl,
    ...(connection.apiKey !== undefined ? { apiKey: connection.apiKey } : {}),
  });
}

/**
 * The id of the collection `idOrName` names, looked up on first use and kept once found. With
 * `create`, a missing collection is created under that name.
 */
export function createCollectionLookup(
  client: SluiceClient,
  idOrName: string,
): (options?: { create?: boolean }) => Promise<string> {
  let found: string | undefined;
  return async ({ create = false } = {}) => {
    if (found === undefined) {
      try {
        found = (await client.collections.find(idOrName)).id;
      } catch (error) {
        if (!create || !(error instanceof SluiceApiError) || error.code !== 'not_found') {
          throw error;
        }
        found = (await client.collections.create({ name: idOrName })).id;
      }
    }
    return found;
  };
}
