import { assertSameEmbedder } from '../core/embedder-pin.js';
import { SluiceError } from '../core/errors.js';
import { fuseRankings } from '../core/rank-fusion.js';
import { snippetsOf } from '../core/snippet.js';
import type { SearchScope } from '../core/search-scope.js';
import type { Collection, SearchHit, SearchMode } from '../core/types.js';
import type { Embedder } from '../ports/embedder.js';
import type { Store } from '../ports/store.js';

export interface SearchRequest {
  query: string;
  topK: number;
  mode: SearchMode;
  /** Only hits of the documents within it: the stores narrow each side of the search before ranking. */
  filter?: SearchScope;
}

/**
 * Vector kNN, BM25 full text, or both fused by reciprocal rank, over the chunks of the documents the
 * filter keeps. Each hit comes with a snippet of its text around the query's words.
 */
export async function searchCollection(
  deps: { store: Store; embedder: Embedder },
  collection: Collection,
  request: SearchRequest,
): Promise<SearchHit[]> {
  const hits = await rank(deps, collection, request);
  const snippetOf = snippetsOf(request.query);
  return hits.map((h) => {
    const snippet = snippetOf(h.text, h.language);
    return { ...h, snippet: snippet.text, snippetHighlights: snippet.highlights };
  });
}

async function rank(
  deps: { store: Store; embedder: Embedder },
  collection: Collection,
  request: SearchRequest,
): Promise<SearchHit[]> {
  // A query of no word matches nothing in particular: every mode would return arbitrary chunks.
  if (!/[\p{L}\p{N}]/u.test(request.query)) {
    throw new SluiceError('invalid_input', 'The query holds no word to search for');
  }
  // Full text needs no vectors; the other modes need query vectors of the collection's embedder.
  if (request.mode !== 'text') {
    assertSameEmbedder(collection, deps.embedder.spec);
  }
  // Each side fetches more than asked so fusion has overlap to work with.
  const candidates = request.mode === 'hybrid' ? Math.max(20, request.topK * 4) : request.topK;
  const vector = async (): Promise<SearchHit[]> => {
    const [embedded] = await deps.embedder.embed([request.query]);
    return deps.store.searchVector(collection.id, embedded as Float32Array, candidates, request.filter);
  };
  const text = (): Promise<SearchHit[]> =>
    deps.store.searchText(collection.id, request.query, candidates, request.filter);
  switch (request.mode) {
    case 'vector':
      return vector();
    case 'text':
      return text();
    case 'hybrid':
      return fuseRankings(await Promise.all([vector(), text()]), request.topK);
  }
}
