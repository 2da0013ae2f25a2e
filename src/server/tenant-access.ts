import { SluiceError } from '../core/errors.js';
import type { Batch, Collection, DocumentRecord } from '../core/types.js';
import type { Store } from '../ports/store.js';

/**
 * Loads what a tenant may see. Anything of another tenant is "not found", exactly like what does not
 * exist, so ids leak nothing across tenants.
 */
export function createTenantAccess(store: Store) {
  const collection = async (tenantId: string, id: string): Promise<Collection> => {
    const found = await store.getCollection(id);
    if (!found || found.tenantId !== tenantId) {
      throw new SluiceError('not_found', `No collection ${id}`);
    }
    return found;
  };
  return {
    collection,
    async batch(tenantId: string, id: string): Promise<Batch> {
      const found = await store.getBatch(id);
      if (!found) {
        throw new SluiceError('not_found', `No batch ${id}`);
      }
      await collection(tenantId, found.collectionId).catch(() => {
        throw new SluiceError('not_found', `No batch ${id}`);
      });
      return found;
    },
    async document(tenantId: string, id: string): Promise<DocumentRecord> {
      const found = await store.getDocument(id);
      if (!found) {
        throw new SluiceError('not_found', `No document ${id}`);
      }
      await collection(tenantId, found.collectionId).catch(() => {
        throw new SluiceError('not_found', `No document ${id}`);
      });
      return found;
    },
  };
}

export type TenantAccess = ReturnType<typeof createTenantAccess>;
