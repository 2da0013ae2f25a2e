import type { QueryBundle } from '@llamaindex/core/query-engine';
import { BaseRetriever } from '@llamaindex/core/retriever';
import type { NodeWithScore } from '@llamaindex/core/schema';
import { extractText } from '@llamaindex/core/utils';
import {
  connectSluice,
  createCollectionLookup,
  type QueryFilter,
  type SearchMode,
  type SluiceClient,
  type SluiceConnection,
} from '@sluice/client';
import { hitToNode } from './hit-to-node.js';

/** Options of a `SluiceRetriever`: the server, the collection, and how to search it. */
export type SluiceRetrieverOptions = SluiceConnection & {
  /** The collection searched, by id or by name. */
  collection: string;
  /** Chunks returned per query, 1 to 100 (LlamaIndex's name and default). @defaultValue 2 */
  similarityTopK?: number;
  /** @defaultValue `hybrid` */
  mode?: SearchMode;
  /** Only chunks of the documents this keeps (metadata, source prefix, media type, language, dates, ids). */
  filter?: QueryFilter;
};

/**
 * A LlamaIndex retriever over a Sluice collection: each query is one search on the server (which
 * embeds it), answered as the best chunks, each a `TextNode` with its score (see `hitToNode`).
 *
 * @example
 * ```ts
 * const retriever = new SluiceRetriever({ baseUrl, apiKey, collection: 'docs', similarityTopK: 4 });
 * const engine = new RetrieverQueryEngine(retriever, getResponseSynthesizer('compact', { llm }));
 * ```
 */
export class SluiceRetriever extends BaseRetriever {
  readonly client: SluiceClient;
  readonly collection: string;
  similarityTopK: number;
  mode: SearchMode;
  filter: QueryFilter | undefined;
  private readonly collectionId: () => Promise<string>;

  constructor(options: SluiceRetrieverOptions) {
    super();
    this.client = connectSluice(options);
    this.collection = options.collection;
    this.similarityTopK = options.similarityTopK ?? 2;
    this.mode = options.mode ?? 'hybrid';
    this.filter = options.filter;
    this.collectionId = createCollectionLookup(this.client, options.collection);
  }

  async _retrieve({ query }: QueryBundle): Promise<NodeWithScore[]> {
    const { hits } = await this.client.query(await this.collectionId(), {
      query: extractText(query),
      top_k: this.similarityTopK,
      mode: this.mode,
      ...(this.filter ? { filter: this.filter } : {}),
    });
    return hits.map(hitToNode);
  }
}
