import { SluiceError } from '../core/errors.js';
import type { Batch, Collection, DocumentRecord } from '../core/types.js';
import type { Store } from '../ports/store.js';

/**
 * Loads what a tenant may see. Anything of another tenant is "not found", exactly like what does not
 * exist, so ids leak nothing across tenants.
 */
export function createTenantAccess(store: Store) {
  const ownsCollection = async (tenantId: string, collectionId: string): Promise<Collection | undefined> => {
    const found = await store.getCollection(collectionId);
    return found?.tenantId === tenantId ? found : undefined;
  };
  /** Something that lives in a collection, if that collection is the tenant's. */
  const owned = async <T extends { collectionId: string }>(
    tenantId: string,
    found: T | undefined,
    what: string,
  ): Promise<T> => {
    if (!found || !(await ownsCollection(tenantId, found.collectionId))) {
      throw new SluiceError('not_found', `No ${what}`);
    }
    return found;
  };
  return {
    async collection(tenantId: string, id: string): Promise<Collection> {
      const found = await ownsCollection(tenantId, id);
      if (!found) {
        throw new SluiceError('not_found', `No collection ${id}`);
      }
      return found;
    },
    batch: async (tenantId: string, id: string): Promise<Batch> =>
      owned(tenantId, await store.getBatch(id), `batch ${id}`),
    document: async (tenantId: string, id: string): Promise<DocumentRecord> =>
      owned(tenantId, await store.getDocument(id), `document ${id}`),
  };
}

export type TenantAccess = ReturnType<typeof createTenantAccess>;
