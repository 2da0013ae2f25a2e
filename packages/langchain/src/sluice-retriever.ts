import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import type { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import {
  connectSluice,
  createCollectionLookup,
  type QueryFilter,
  type SearchMode,
  type SluiceClient,
  type SluiceConnection,
} from '@sluice/client';
import { hitToDocument } from './hit-to-document.js';

/** Options of a `SluiceRetriever`: the server, the collection, and how to search it. */
export type SluiceRetrieverFields = BaseRetrieverInput &
  SluiceConnection & {
    /** The collection searched, by id or by name. */
    collection: string;
    /** Chunks returned per query, 1 to 100. @defaultValue 4 */
    topK?: number;
    /** @defaultValue `hybrid` */
    mode?: SearchMode;
    /** Only chunks of the documents this keeps (metadata, source prefix, media type, language, dates, ids). */
    filter?: QueryFilter;
  };

/**
 * A LangChain retriever over a Sluice collection: each query is one search on the server (which
 * embeds it), answered as the best chunks, each a `Document` (see `hitToDocument`).
 *
 * @example
 * ```ts
 * const retriever = new SluiceRetriever({ baseUrl, apiKey, collection: 'docs', topK: 5 });
 * const docs = await retriever.invoke('how are retries scheduled?');
 * ```
 */
export class SluiceRetriever extends BaseRetriever {
  static override lc_name(): string {
    return 'SluiceRetriever';
  }

  lc_namespace = ['langchain', 'retrievers', 'sluice'];

  override get lc_secrets(): Record<string, string> {
    return { apiKey: 'SLUICE_API_KEY' };
  }

  readonly client: SluiceClient;
  readonly collection: string;
  topK: number;
  mode: SearchMode;
  filter: QueryFilter | undefined;
  private readonly collectionId: () => Promise<string>;

  constructor(fields: SluiceRetrieverFields) {
    super(fields);
    this.client = connectSluice(fields);
    this.collection = fields.collection;
    this.topK = fields.topK ?? 4;
    this.mode = fields.mode ?? 'hybrid';
    this.filter = fields.filter;
    this.collectionId = createCollectionLookup(this.client, fields.collection);
  }

  override async _getRelevantDocuments(
    query: string,
    _runManager?: CallbackManagerForRetrieverRun,
  ): Promise<Document[]> {
    const { hits } = await this.client.query(await this.collectionId(), {
      query,
      top_k: this.topK,
      mode: this.mode,
      ...(this.filter ? { filter: this.filter } : {}),
    });
    return hits.map(hitToDocument);
  }
}
