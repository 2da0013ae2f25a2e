import type { JobQueue } from '../ports/queue.js';
import type { Store } from '../ports/store.js';

export interface DispatchPolicy {
  /** Documents of one tenant handed to the queue at once, unless the tenant has its own limit; 0: no limit. */
  defaultMaxInFlight: number;
}

/** Hands queued documents to the queue, tenant by tenant, within each tenant's limit. */
export interface Dispatcher {
  /** Fills the tenant's free slots; returns how many documents were handed over. */
  tenant(tenantId: string): Promise<number>;
  /** The same, for the tenant owning the collection. */
  collection(collectionId: string): Promise<number>;
  /** The same for every tenant with documents waiting (a sweep after restarts and lost wake-ups). */
  all(): Promise<number>;
}

/**
 * Fair scheduling over any queue. The queue never holds more than a tenant's in-flight limit of its
 * documents; the rest wait in the ledger (where a large batch costs nothing) and are handed over as
 * slots free up. Each handed document is queued with its turn as priority (the tenant's first
 * document in flight ahead of its second, and so on), so the queue itself serves tenants round-robin:
 * one file of a tenant with nothing running goes ahead of the 31st of a tenant with 30 running.
 */
export function createDispatcher(deps: { store: Store; queue: JobQueue }, policy: DispatchPolicy): Dispatcher {
  const { store, queue } = deps;
  // A collection never changes tenant: remembered, to save a lookup per finished document.
  const tenantOf = new Map<string, string>();

  const tenant = async (tenantId: string): Promise<number> => {
    const record = await store.getTenant(tenantId);
    if (!record) {
      return 0;
    }
    const maxInFlight = record.limits.maxInFlight ?? policy.defaultMaxInFlight;
    // Refilled a quarter at a time, so a tenant's long backlog costs one ordering query per few
    // documents finished rather than one per document.
    const picked = await store.dispatch(tenantId, { maxInFlight, minFree: Math.max(1, Math.floor(maxInFlight / 4)) });
    if (picked.length > 0) {
      await queue.enqueue(picked.map(({ documentId, turn }) => ({ documentId, priority: -turn })));
    }
    return picked.length;
  };

  return {
    tenant,
    async collection(collectionId) {
      let tenantId = tenantOf.get(collectionId);
      if (!tenantId) {
        tenantId = (await store.getCollection(collectionId))?.tenantId;
        if (!tenantId) {
          return 0;
        }
        tenantOf.set(collectionId, tenantId);
      }
      return tenant(tenantId);
    },
    async all() {
      let handed = 0;
      for (const tenantId of await store.listTenantsAwaitingDispatch()) {
        handed += await tenant(tenantId);
      }
      return handed;
    },
  };
}
