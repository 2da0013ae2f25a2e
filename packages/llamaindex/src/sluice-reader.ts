import { Document, type BaseReader } from '@llamaindex/core/schema';
import {
  connectSluice,
  createCollectionLookup,
  joinChunks,
  type DocumentChunk,
  type SluiceClient,
  type SluiceConnection,
  type SluiceDocument,
} from '@sluice/client';
import { bookkeepingKeys } from './hit-to-node.js';

/** Options of a `SluiceReader`: the server, and the collection read when no document ids are given. */
export type SluiceReaderOptions = SluiceConnection & {
  /** The collection, by id or by name. */
  collection?: string;
};

/** What `loadData` reads: the given documents, or else every completed one of the collection. */
export interface SluiceLoadOptions {
  documentIds?: string[];
}

const readersAtOnce = 4;

/**
 * Loads documents stored in Sluice as LlamaIndex `Document`s: the text Sluice parsed out of each file
 * (a PDF's text, not its bytes), with the document's metadata and its Sluice id as `id_`.
 *
 * The text is put back together from every chunk of the document (`joinChunks`), read a page at a
 * time, so a document of any size comes whole. One not `completed` is refused with an error that says
 * so, never answered in part; a skipped duplicate reads as its original.
 */
export class SluiceReader implements BaseReader<Document> {
  readonly client: SluiceClient;
  private readonly collectionId: (() => Promise<string>) | undefined;

  constructor(options: SluiceReaderOptions) {
    this.client = connectSluice(options);
    this.collectionId =
      options.collection !== undefined ? createCollectionLookup(this.client, options.collection) : undefined;
  }

  async loadData(options: SluiceLoadOptions = {}): Promise<Document[]> {
    const documents = await this.documentsToRead(options.documentIds);
    const read: Document[] = new Array<Document>(documents.length);
    let next = 0;
    const reader = async (): Promise<void> => {
      for (let i = next++; i < documents.length; i = next++) {
        read[i] = await this.read(documents[i] as SluiceDocument);
      }
    };
    await Promise.all(Array.from({ length: Math.min(readersAtOnce, documents.length) }, reader));
    return read;
  }

  private async documentsToRead(documentIds: string[] | undefined): Promise<SluiceDocument[]> {
    const collectionId = await this.collectionId?.();
    if (documentIds) {
      const documents = await Promise.all(documentIds.map((id) => this.client.documents.get(id)));
      const stranger = documents.find((d) => collectionId !== undefined && d.collection_id !== collectionId);
      if (stranger) {
        throw new Error(`Document ${stranger.id} is not in the collection this SluiceReader reads`);
      }
      return documents;
    }
    if (collectionId === undefined) {
      throw new Error('SluiceReader needs a `collection`, or `documentIds` to load');
    }
    const documents: SluiceDocument[] = [];
    // Only completed documents have text of their own; a skipped duplicate shares its original's.
    for await (const document of this.client.documents.all({
      collection: collectionId,
      state: 'completed',
      limit: 500,
    })) {
      documents.push(document);
    }
    return documents;
  }

  private async read(document: SluiceDocument): Promise<Document> {
    // A skipped duplicate holds the same bytes as its original, whose chunks it shares.
    const original =
      document.state === 'skipped' && document.duplicate_of
        ? await this.client.documents.get(document.duplicate_of)
        : document;
    const text = await this.textOf(original);
    return new Document({
      id_: document.id,
      text,
      metadata: {
        source: document.source,
        ...document.metadata,
        document_id: document.id,
        media_type: document.media_type ?? original.media_type,
        language: document.language ?? original.language,
      },
      excludedEmbedMetadataKeys: bookkeepingKeys,
      excludedLlmMetadataKeys: bookkeepingKeys,
    });
  }

  private async textOf(document: SluiceDocument): Promise<string> {
    const name = `${document.source} (${document.id})`;
    if (document.state !== 'completed') {
      throw new Error(`${name} is ${document.state}: only a completed document has all of its text in Sluice`);
    }
    const chunks: DocumentChunk[] = [];
    for await (const chunk of this.client.documents.allChunks(document.id)) {
      chunks.push(chunk);
    }
    // As many as it completed with, or it changed while read (a new version published between two pages).
    const total = document.progress.chunks_total;
    if (chunks.length !== total) {
      throw new Error(`Read ${chunks.length} of the ${total} chunks of ${name}; it may have changed meanwhile`);
    }
    return joinChunks(chunks);
  }
}
