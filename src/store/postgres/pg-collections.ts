import { assertSameEmbedder } from '../../core/embedder-pin.js';
import { newId } from '../../core/ids.js';
import type { DocumentState } from '../../core/states.js';
import type { Collection } from '../../core/types.js';
import type { CollectionStore } from '../../ports/collection-store.js';
import {
  toBatch,
  toBatchProgress,
  toBatchProgresses,
  toCollection,
  type BatchRow,
  type CollectionRow,
  type StateGroupRow,
} from '../store-rows.js';
import { changed, type PgContext } from './pg-context.js';
import { vectorIndexName } from './pg-migrations.js';
import { batchSql, collectionSql } from './pg-sql.js';

/** Collections (each pinned to one embedder, with its own vector index) and the batches uploaded into them. */
export function createPgCollections({ pool, query, one, count, transaction }: PgContext): CollectionStore {
  const collectionByName = async (tenantId: string, name: string): Promise<Collection | undefined> => {
    const row = await one<CollectionRow>(collectionSql.byName, [tenantId, name]);
    return row && toCollection(row);
  };

  const latestBatches = (limit: number, tenantId: string | undefined): Promise<BatchRow[]> =>
    tenantId === undefined
      ? query<BatchRow>(batchSql.latest, [limit])
      : query<BatchRow>(batchSql.latestOfTenant, [tenantId, limit]);

  return {
    async ensureCollection(tenantId, name, embedder) {
      const existing = await collectionByName(tenantId, name);
      if (existing) {
        assertSameEmbedder(existing, embedder);
        // Built now if the process that made the collection stopped before it built its index.
        if (!(await one(collectionSql.indexExists, [vectorIndexName(existing.id)]))) {
          await pool.query(collectionSql.createVectorIndex(existing.id, Number(existing.embedder.dimension)));
        }
        return existing;
      }
      await pool.query(collectionSql.insert, [
        newId('col'),
        tenantId,
        name,
        embedder.name,
        embedder.model,
        embedder.dimension,
      ]);
      // Another process may have won the race with another embedder: the pin check applies to it too.
      const collection = (await collectionByName(tenantId, name)) as Collection;
      assertSameEmbedder(collection, embedder);
      const dimension = Number(collection.embedder.dimension);
      await pool.query(collectionSql.createVectorIndex(collection.id, dimension));
      return collection;
    },
    getCollectionByName: collectionByName,
    async setCollectionPartialSuccess(id, partialSuccess) {
      const row = await one<CollectionRow>(collectionSql.setPartialSuccess, [id, partialSuccess]);
      return row && toCollection(row);
    },
    async getCollection(id) {
      const row = await one<CollectionRow>(collectionSql.byId, [id]);
      return row && toCollection(row);
    },
    async listCollections(tenantId) {
      return (await query<CollectionRow>(collectionSql.ofTenant, [tenantId])).map(toCollection);
    },
    async swapCollectionNames(tenantId, a, b) {
      await transaction(async (client) => {
        const parking = `~swap-${newId('tmp')}`;
        await client.query(collectionSql.rename, [parking, tenantId, a]);
        await client.query(collectionSql.rename, [a, tenantId, b]);
        await client.query(collectionSql.rename, [b, tenantId, parking]);
      });
    },
    async deleteCollection(id) {
      const deleted = await transaction(async (client) => {
        await client.query(collectionSql.deleteChunks, [id]);
        await client.query(collectionSql.deleteEvents, [id]);
        // Documents and batches go with the collection through their foreign keys.
        return changed(await client.query(collectionSql.delete, [id]));
      });
      if (deleted) {
        await pool.query(collectionSql.dropVectorIndex(id));
      }
      return deleted;
    },
    async getCollectionStats(id) {
      const states = await query<{ state: DocumentState; n: number }>(collectionSql.documentsByState, [id]);
      return {
        documents: Object.fromEntries(states.map((row) => [row.state, row.n])),
        storedBytes: await count(collectionSql.storedBytes, [id]),
      };
    },

    async createBatch(collectionId, label) {
      const row = await one<BatchRow>(batchSql.insert, [newId('bat'), collectionId, label]);
      return toBatch(row as BatchRow);
    },
    async getBatch(id) {
      const row = await one<BatchRow>(batchSql.byId, [id]);
      return row && toBatch(row);
    },
    async listBatches(limit, tenantId) {
      return (await latestBatches(limit, tenantId)).map(toBatch);
    },
    async listBatchProgress(limit, tenantId) {
      const rows = await latestBatches(limit, tenantId);
      const groups = await query<StateGroupRow & { batch_id: string }>(batchSql.documentsByStateOfBatches, [
        rows.map((r) => r.id),
      ]);
      return toBatchProgresses(rows, groups);
    },
    async getBatchProgress(id) {
      const row = await one<BatchRow>(batchSql.byId, [id]);
      if (!row) {
        return undefined;
      }
      const groups = await query<StateGroupRow>(batchSql.documentsByState, [id]);
      return toBatchProgress(row, groups);
    },
  };
}
