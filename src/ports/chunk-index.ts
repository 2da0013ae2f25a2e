import type { SearchHit } from '../core/types.js';

/** Published chunks, searched by vector and by text. */
export interface ChunkIndex {
  searchVector(collectionId: string, vector: Float32Array, k: number): Promise<SearchHit[]>;
  searchText(collectionId: string, query: string, k: number): Promise<SearchHit[]>;
  countChunks(collectionId?: string): Promise<number>;
}
