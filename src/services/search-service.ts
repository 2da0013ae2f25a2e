import { assertSameEmbedder } from '../core/embedder-pin.js';
import { SluiceError } from '../core/errors.js';
import { fuseRankings } from '../core/rank-fusion.js';
import { snippetOf } from '../core/snippet.js';
import type { Collection, SearchHit, SearchMode } from '../core/types.js';
import type { Embedder } from '../ports/embedder.js';
import type { Store } from '../ports/store.js';

export interface SearchRequest {
  query: string;
  topK: number;
  mode: SearchMode;
  /** Only hits of these documents, or whose source starts with this prefix. */
  filter?: { documentIds?: readonly string[]; sourcePrefix?: string };
}

/** The most candidates a filtered search looks through for its `topK`. */
const filteredCandidates = 1000;

/**
 * Vector kNN, BM25 full text, or both fused by reciprocal rank; with a filter, the search looks through
 * ten times as many candidates (at most 1,000) so that it still finds `topK` hits that pass. Each hit
 * comes with a snippet of its text around the query's words.
 */
export async function searchCollection(
  deps: { store: Store; embedder: Embedder },
  collection: Collection,
  request: SearchRequest,
): Promise<SearchHit[]> {
  const { filter } = request;
  const ids = filter?.documentIds ? new Set(filter.documentIds) : undefined;
  const prefix = filter?.sourcePrefix;
  const hits =
    !ids && !prefix
      ? await rank(deps, collection, request)
      : (await rank(deps, collection, { ...request, topK: Math.min(filteredCandidates, request.topK * 10) }))
          .filter((h) => (!ids || ids.has(h.documentId)) && (!prefix || h.source.startsWith(prefix)))
          .slice(0, request.topK);
  return hits.map((h) => ({ ...h, snippet: snippetOf(h.text, request.query) }));
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
    return deps.store.searchVector(collection.id, embedded as Float32Array, candidates);
  };
  const text = (): Promise<SearchHit[]> => deps.store.searchText(collection.id, request.query, candidates);
  switch (request.mode) {
    case 'vector':
      return vector();
    case 'text':
      return text();
    case 'hybrid':
      return fuseRankings(await Promise.all([vector(), text()]), request.topK);
  }
}
