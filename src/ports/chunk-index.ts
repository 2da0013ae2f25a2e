import type { SearchScope } from '../core/search-scope.js';
import type { SearchHit } from '../core/types.js';

/** Published chunks, searched by vector and by text; with a scope, only chunks of the documents within it. */
export interface ChunkIndex {
  searchVector(collectionId: string, vector: Float32Array, k: number, scope?: SearchScope): Promise<SearchHit[]>;
  searchText(collectionId: string, query: string, k: number, scope?: SearchScope): Promise<SearchHit[]>;
  countChunks(collectionId?: string): Promise<number>;
}
