import type { Callbacks } from '@langchain/core/callbacks/manager';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { VectorStore } from '@langchain/core/vectorstores';
import {
  connectSluice,
  createCollectionLookup,
  SluiceApiError,
  type QueryFilter,
  type SearchMode,
  type SluiceClient,
  type SluiceConnection,
  type UploadFile,
} from '@sluice/client';
import { hitToDocument } from './hit-to-document.js';
import { ingestFiles } from './ingest-files.js';
import { SluiceServerEmbeddings } from './server-side-embeddings.js';
import { toSluiceMetadata } from './to-sluice-metadata.js';

/** Options of a `SluiceVectorStore`. */
export type SluiceVectorStoreFields = SluiceConnection & {
  /** The collection, by id or by name; created under that name on the first write if there is none. */
  collection: string;
  /** How searches rank chunks. @defaultValue `hybrid` */
  mode?: SearchMode;
  /**
   * Throw, naming the keys, when a document's metadata holds values Sluice cannot store, instead of
   * leaving them out (see `toSluiceMetadata`). @defaultValue false
   */
  strictMetadata?: boolean;
  /**
   * Seconds (at most 60) an upload request may wait on the server for its batch to end; a batch not
   * done by then is followed by its event stream. Lower it behind a proxy that cuts idle requests
   * sooner. @defaultValue 60
   */
  waitSeconds?: number;
};

/** `addDocuments` options: `ids` name the documents, so that adding an id again replaces its text. */
export interface SluiceAddOptions {
  ids?: string[];
}

// Ids name files in the collection, so they keep to the characters a file name keeps whole.
const idPattern = /^[\w-][\w.-]{0,199}$/;
const fileNameOf = (id: string): string => `${id}.txt`;

const notSupported = (what: string): Error =>
  new Error(`${what} is not supported: Sluice embeds on the server. Add documents and search with text instead.`);

/**
 * A LangChain vector store over a Sluice collection. Sluice parses, chunks and embeds on the server,
 * so the store sends text and queries, never vectors: its `embeddings` compute nothing
 * (`SluiceServerEmbeddings`), and `addVectors` and `similaritySearchVectorWithScore` throw.
 *
 * Each added `Document` becomes one Sluice document (a text file named by its id), which Sluice may
 * split into several chunks; searches answer chunks (see `hitToDocument`). Text already in the
 * collection is recorded as a skipped duplicate that shares the first copy's chunks and metadata.
 *
 * @example
 * ```ts
 * const store = new SluiceVectorStore({ baseUrl, apiKey, collection: 'notes' });
 * const ids = await store.addDocuments([new Document({ pageContent: 'Tea is served at four.', metadata: { team: 'ops' } })]);
 * const found = await store.similaritySearch('when is tea?', 2, { metadata: { team: 'ops' } });
 * await store.delete({ ids });
 * ```
 */
export class SluiceVectorStore extends VectorStore {
  declare FilterType: QueryFilter;

  static override lc_name(): string {
    return 'SluiceVectorStore';
  }

  override get lc_secrets(): Record<string, string> {
    return { apiKey: 'SLUICE_API_KEY' };
  }

  readonly client: SluiceClient;
  readonly collection: string;
  mode: SearchMode;
  strictMetadata: boolean;
  waitSeconds: number;
  private readonly collectionId: (options?: { create?: boolean }) => Promise<string>;

  _vectorstoreType(): string {
    return 'sluice';
  }

  constructor(fields: SluiceVectorStoreFields) {
    super(new SluiceServerEmbeddings(), fields);
    this.client = connectSluice(fields);
    this.collection = fields.collection;
    this.mode = fields.mode ?? 'hybrid';
    this.strictMetadata = fields.strictMetadata ?? false;
    this.waitSeconds = fields.waitSeconds ?? 60;
    this.collectionId = createCollectionLookup(this.client, fields.collection);
  }

  /**
   * Uploads each document's `pageContent` as a text file with its metadata, waits until Sluice has
   * indexed them all, and answers their Sluice document ids. Throws `SluiceIngestError` if any failed.
   * With `ids` (or, without them, each document's own `id`; file-name safe: letters, digits, `_ . -`),
   * a document is stored as the file `<id>.txt`, and an id added again replaces its text.
   */
  override async addDocuments(documents: DocumentInterface[], options: SluiceAddOptions = {}): Promise<string[]> {
    const ids =
      options.ids ?? (documents.some((d) => d.id) ? documents.map((d) => d.id ?? crypto.randomUUID()) : undefined);
    if (ids && ids.length !== documents.length) {
      throw new Error(`addDocuments got ${ids.length} ids for ${documents.length} documents`);
    }
    const bad = ids?.find((id) => !idPattern.test(id));
    if (bad !== undefined) {
      throw new Error(`Sluice names each document's file by its id: letters, digits and _ . - only, not "${bad}"`);
    }
    if (ids && new Set(ids).size !== ids.length) {
      throw new Error('addDocuments got the same id twice');
    }
    const files = documents.map((document, i): UploadFile => {
      const { metadata, dropped } = toSluiceMetadata(document.metadata ?? {});
      if (this.strictMetadata && dropped.length > 0) {
        throw new Error(`Sluice cannot store the metadata ${dropped.join(', ')} of document ${i}`);
      }
      return {
        name: fileNameOf(ids?.[i] ?? crypto.randomUUID()),
        data: document.pageContent,
        type: 'text/plain',
        metadata,
      };
    });
    if (files.length === 0) {
      return [];
    }
    return ingestFiles(this.client, await this.collectionId({ create: true }), files, this.waitSeconds);
  }

  override addVectors(_vectors: number[][], _documents: DocumentInterface[]): Promise<string[]> {
    return Promise.reject(notSupported('addVectors'));
  }

  override similaritySearchVectorWithScore(
    _query: number[],
    _k: number,
    _filter?: QueryFilter,
  ): Promise<[Document, number][]> {
    return Promise.reject(notSupported('similaritySearchVectorWithScore'));
  }

  /** The `k` best chunks for `query`, searched on the server; scores as the mode gives them, best first. */
  override async similaritySearchWithScore(
    query: string,
    k = 4,
    filter?: QueryFilter,
    _callbacks?: Callbacks,
  ): Promise<[Document, number][]> {
    const { hits } = await this.client.query(await this.collectionId(), {
      query,
      top_k: k,
      mode: this.mode,
      ...(filter ? { filter } : {}),
    });
    return hits.map((hit) => [hitToDocument(hit), hit.score]);
  }

  override async similaritySearch(
    query: string,
    k = 4,
    filter?: QueryFilter,
    callbacks?: Callbacks,
  ): Promise<Document[]> {
    return (await this.similaritySearchWithScore(query, k, filter, callbacks)).map(([document]) => document);
  }

  /**
   * Deletes documents of the collection by their Sluice document ids (as `addDocuments` answers them)
   * or by the `ids` they were added with. Ids that name nothing are ignored, as LangChain's stores do.
   */
  override async delete(params: { ids: string[] }): Promise<void> {
    if (!Array.isArray(params?.ids)) {
      throw new Error('SluiceVectorStore.delete needs `ids`');
    }
    if (params.ids.length === 0) {
      return;
    }
    const wanted = new Set(params.ids);
    // Only an id `addDocuments` would take names a file it made.
    const names = new Set(params.ids.filter((id) => idPattern.test(id)).map(fileNameOf));
    const doomed: string[] = [];
    // The API finds documents by id, not by name: one pass over the collection resolves both.
    for await (const document of this.client.documents.all({ collection: await this.collectionId(), limit: 500 })) {
      if (wanted.has(document.id) || names.has(document.source)) {
        doomed.push(document.id);
      }
    }
    for (const id of doomed) {
      await this.client.documents.delete(id).catch((error: unknown) => {
        if (!(error instanceof SluiceApiError && error.code === 'not_found')) {
          throw error;
        }
      });
    }
  }

  /** A store over `fields.collection` holding these texts, one document each (`embeddings` is unused). */
  static override async fromTexts(
    texts: string[],
    metadatas: object[] | object,
    _embeddings: EmbeddingsInterface,
    fields: SluiceVectorStoreFields,
  ): Promise<SluiceVectorStore> {
    const documents = texts.map(
      (pageContent, i) =>
        new Document({
          pageContent,
          metadata: (Array.isArray(metadatas) ? (metadatas[i] as object | undefined) : metadatas) ?? {},
        }),
    );
    return SluiceVectorStore.fromDocuments(documents, _embeddings, fields);
  }

  /** A store over `fields.collection` holding these documents (`embeddings` is unused). */
  static override async fromDocuments(
    documents: DocumentInterface[],
    _embeddings: EmbeddingsInterface,
    fields: SluiceVectorStoreFields,
  ): Promise<SluiceVectorStore> {
    const store = new SluiceVectorStore(fields);
    await store.addDocuments(documents);
    return store;
  }
}
