import type { SluiceClient } from './client.js';
import { SluiceApiError } from './errors.js';

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
