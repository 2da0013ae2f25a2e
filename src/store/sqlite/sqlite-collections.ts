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
import type { SqliteContext, Synchronous } from './sqlite-context.js';
import { collectionTables, createCollectionTables } from './sqlite-migrations.js';
import { batchSql, collectionSql } from './sqlite-sql.js';

type Batches = Pick<
  CollectionStore,
  'createBatch' | 'getBatch' | 'listBatches' | 'getBatchProgress' | 'listBatchProgress'
>;

function createCollections(context: SqliteContext): Synchronous<Omit<CollectionStore, keyof Batches>> {
  const { db, stmt, searchStmt, now } = context;
  const getCollectionRow = stmt<[string], CollectionRow>(collectionSql.byId);
  const collectionByName = (tenantId: string, name: string): Collection | undefined => {
    const row = stmt<[string, string], CollectionRow>(collectionSql.byName).get(tenantId, name);
    return row && toCollection(row);
  };

  return {
    ensureCollection(tenantId, name, embedder) {
      const existing = collectionByName(tenantId, name);
      if (existing) {
        assertSameEmbedder(existing, embedder);
        return existing;
      }
      const id = newId('col');
      db.transaction(() => {
        stmt(collectionSql.insert).run(id, tenantId, name, embedder.name, embedder.model, embedder.dimension, now());
        createCollectionTables(db, id, embedder.dimension);
      }).immediate();
      return collectionByName(tenantId, name) as Collection;
    },
    getCollectionByName: collectionByName,
    setCollectionPartialSuccess(id, partialSuccess) {
      stmt(collectionSql.setPartialSuccess).run(partialSuccess ? 1 : 0, id);
      const row = getCollectionRow.get(id);
      return row && toCollection(row);
    },
    getCollection(id) {
      const row = getCollectionRow.get(id);
      return row && toCollection(row);
    },
    listCollections(tenantId) {
      return stmt<[string], CollectionRow>(collectionSql.ofTenant).all(tenantId).map(toCollection);
    },
    swapCollectionNames(tenantId, a, b) {
      db.transaction(() => {
        const rename = stmt(collectionSql.rename);
        const parking = `~swap-${newId('tmp')}`;
        rename.run(parking, tenantId, a);
        rename.run(a, tenantId, b);
        rename.run(b, tenantId, parking);
      }).immediate();
    },
    deleteCollection(id) {
      const row = getCollectionRow.get(id);
      if (!row) {
        return false;
      }
      const { vectors, fullText } = collectionTables(id);
      db.transaction(() => {
        db.exec(collectionSql.dropTables(vectors, fullText));
        for (const sql of collectionSql.deleteRows) {
          stmt(sql).run(id);
        }
      }).immediate();
      context.vectorScans?.forget(id);
      stmt.clear();
      searchStmt.clear();
      context.textSearch?.forget();
      return true;
    },
    getCollectionStats(id) {
      const states = stmt<[string], { state: DocumentState; n: number }>(collectionSql.documentsByState).all(id);
      return {
        documents: Object.fromEntries(states.map((row) => [row.state, row.n])),
        storedBytes: stmt(collectionSql.storedBytes).pluck().get(id) as number,
      };
    },
  };
}

function createBatches({ stmt, now }: SqliteContext): Synchronous<Batches> {
  const latestBatches = (limit: number, tenantId: string | undefined): BatchRow[] =>
    tenantId === undefined
      ? stmt<[number], BatchRow>(batchSql.latest).all(limit)
      : stmt<[string, number], BatchRow>(batchSql.latestOfTenant).all(tenantId, limit);
  return {
    createBatch(collectionId, label) {
      const id = newId('bat');
      stmt(batchSql.insert).run(id, collectionId, label, now());
      return toBatch(stmt<[string], BatchRow>(batchSql.byId).get(id) as BatchRow);
    },
    getBatch(id) {
      const row = stmt<[string], BatchRow>(batchSql.byId).get(id);
      return row && toBatch(row);
    },
    listBatches(limit, tenantId) {
      return latestBatches(limit, tenantId).map(toBatch);
    },
    listBatchProgress(limit, tenantId) {
      const rows = latestBatches(limit, tenantId);
      const groups = stmt<[string], StateGroupRow & { batch_id: string }>(batchSql.stateGroupsOfBatches).all(
        JSON.stringify(rows.map((r) => r.id)),
      );
      return toBatchProgresses(rows, groups);
    },
    getBatchProgress(id) {
      const row = stmt<[string], BatchRow>(batchSql.byId).get(id);
      if (!row) {
        return undefined;
      }
      const groups = stmt<[string], StateGroupRow>(batchSql.stateGroups).all(id);
      return toBatchProgress(row, groups);
    },
  };
}

/** Collections (each with its own vector and full-text tables) and the batches of documents in them. */
export function createSqliteCollections(context: SqliteContext): Synchronous<CollectionStore> {
  return { ...createCollections(context), ...createBatches(context) };
}
