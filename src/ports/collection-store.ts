import type { DocumentState } from '../core/states.js';
import type { Batch, BatchProgress, Collection, EmbedderSpec } from '../core/types.js';

/** What a collection holds. */
export interface CollectionStats {
  /** Its documents by state. */
  documents: Partial<Record<DocumentState, number>>;
  /** Bytes of the raw files its documents keep, each file once. */
  storedBytes: number;
}

/** Collections of a tenant, each pinned to one embedder, and the batches that fill them. */
export interface CollectionStore {
  /** Creates the collection or returns it; throws `embedder_mismatch` if it exists pinned to another embedder. */
  ensureCollection(tenantId: string, name: string, embedder: EmbedderSpec): Promise<Collection>;
  getCollectionByName(tenantId: string, name: string): Promise<Collection | undefined>;
  getCollection(id: string): Promise<Collection | undefined>;
  listCollections(tenantId: string): Promise<Collection[]>;
  /**
   * Swaps the names of two collections of a tenant in one step, so readers that look a collection up
   * by name move from one to the other at once (used to publish a reindexed collection).
   */
  swapCollectionNames(tenantId: string, a: string, b: string): Promise<void>;
  /** Sets whether the collection publishes documents some of whose chunks failed for good. */
  setCollectionPartialSuccess(id: string, partialSuccess: boolean): Promise<Collection | undefined>;
  /** Removes the collection with its batches, their events, documents, chunks, vectors and full text. */
  deleteCollection(id: string): Promise<boolean>;
  getCollectionStats(id: string): Promise<CollectionStats>;

  createBatch(collectionId: string, label: string): Promise<Batch>;
  getBatch(id: string): Promise<Batch | undefined>;
  /** Newest first; only the tenant's batches when `tenantId` is given. */
  listBatches(limit: number, tenantId?: string): Promise<Batch[]>;
  getBatchProgress(id: string): Promise<BatchProgress | undefined>;
  /**
   * `listBatches` with each batch's progress, in two reads however many batches: what a jobs list
   * shows, without a round trip per batch.
   */
  listBatchProgress(limit: number, tenantId?: string): Promise<BatchProgress[]>;
}
