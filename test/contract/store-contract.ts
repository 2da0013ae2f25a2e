import { describe, expect, it } from 'vitest';
import { describeBlobReferencesContract } from './store/blob-references-contract.js';
import { describeChunkIndexContract } from './store/chunk-index-contract.js';
import { describeMetadataScopeContract } from './store/metadata-scope-contract.js';
import { describeRepeatedLinesContract } from './store/repeated-lines-contract.js';
import { describeDocumentStatsContract } from './store/document-stats-contract.js';
import { describeChunkStagingContract } from './store/chunk-staging-contract.js';
import { describeCollectionContract } from './store/collection-contract.js';
import { describeCopiesContract } from './store/copies-contract.js';
import { describeDocumentLedgerContract } from './store/document-ledger-contract.js';
import { describeDocumentTransitionsContract } from './store/document-transitions-contract.js';
import { describeEmbeddingCacheContract } from './store/embedding-cache-contract.js';
import { describeEventLogContract } from './store/event-log-contract.js';
import { describeHousekeepingContract } from './store/housekeeping-contract.js';
import { describeIdempotencyContract } from './store/idempotency-contract.js';
import { describeSourceStoreContract } from './store/source-store-contract.js';
import type { StoreFactory } from './store/store-fixtures.js';
import { describeTenancyContract } from './store/tenancy-contract.js';
import { describeWorkerRegistryContract } from './store/worker-registry-contract.js';

export type { StoreFactory } from './store/store-fixtures.js';

/**
 * The behaviour every Store adapter must show, one suite per role of the port (`src/ports/store.ts`);
 * run it against each backend. `createStore` opens a store on an empty database of its own.
 */
export function describeStoreContract(name: string, createStore: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    it('answers ping while open, and closes', async () => {
      const store = await createStore();
      try {
        await expect(store.ping()).resolves.toBeUndefined();
      } finally {
        await store.close();
      }
    });

    describeTenancyContract(name, createStore);
    describeCollectionContract(name, createStore);
    describeDocumentLedgerContract(name, createStore);
    describeDocumentTransitionsContract(name, createStore);
    describeCopiesContract(name, createStore);
    describeChunkIndexContract(name, createStore);
    describeMetadataScopeContract(name, createStore);
    describeRepeatedLinesContract(name, createStore);
    describeDocumentStatsContract(name, createStore);
    describeChunkStagingContract(name, createStore);
    describeEventLogContract(name, createStore);
    describeEmbeddingCacheContract(name, createStore);
    describeWorkerRegistryContract(name, createStore);
    describeIdempotencyContract(name, createStore);
    describeBlobReferencesContract(name, createStore);
    describeHousekeepingContract(name, createStore);
    describeSourceStoreContract(name, createStore);
  });
}
