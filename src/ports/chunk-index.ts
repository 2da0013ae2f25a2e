import type { SearchScope } from '../core/search-scope.js';
import type { Chunk, SearchHit } from '../core/types.js';

/** Published chunks, searched by vector and by text; with a scope, only chunks of the documents within it. */
export interface ChunkIndex {
  searchVector(collectionId: string, vector: Float32Array, k: number, scope?: SearchScope): Promise<SearchHit[]>;
  searchText(collectionId: string, query: string, k: number, scope?: SearchScope): Promise<SearchHit[]>;
  countChunks(collectionId?: string): Promise<number>;
  /**
   * A document's published chunks with indexes from `page.from`, in order, `page.limit` at most: what
   * its text can be read back from.
   * @remarks Like searches, never returns the chunks of an attempt still publishing.
   */
  documentChunks(documentId: string, page: { from: number; limit: number }): Promise<Chunk[]>;
}
