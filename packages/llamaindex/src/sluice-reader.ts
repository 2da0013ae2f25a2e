import { Document, type BaseReader } from '@llamaindex/core/schema';
import type { SluiceClient, SluiceDocument } from '@sluice/client';
import { bookkeepingKeys } from './hit-to-node.js';
import { joinChunks } from './join-chunks.js';
import { clientOf, createCollectionLookup, type SluiceConnection } from './sluice-connection.js';

/** Options of a `SluiceReader`: the server, and the collection read when no document ids are given. */
export type SluiceReaderOptions = SluiceConnection & {
  /** The collection, by id or by name. */
  collection?: string;
};

/** What `loadData` reads: the given documents, or else every completed one of the collection. */
export interface SluiceLoadOptions {
  documentIds?: string[];
}

/** The query API answers at most this many chunks, so a document of more cannot be read whole. */
export const maxReadableChunks = 100;
const readersAtOnce = 4;

/**
 * Loads documents stored in Sluice as LlamaIndex `Document`s: the text Sluice parsed out of each file
 * (a PDF's text, not its bytes), with the document's metadata and its Sluice id as `id_`.
 *
 * The API has no route that answers a document's text, so the reader rebuilds it from the document's
 * chunks, fetched by one vector query restricted to the document. That holds all of a document of at
 * most `maxReadableChunks` chunks (about 50,000 tokens). A longer document, or one not `completed`, is
 * refused with an error that says so, never answered in part; a skipped duplicate reads as its original.
 */
export class SluiceReader implements BaseReader<Document> {
  readonly client: SluiceClient;
  private readonly collectionId: (() => Promise<string>) | undefined;

  constructor(options: SluiceReaderOptions) {
    this.client = clientOf(options);
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
    const total = document.progress.chunks_total;
    if (total > maxReadableChunks) {
      throw new Error(
        `${name} has ${total} chunks, and a query answers at most ${maxReadableChunks}: SluiceReader cannot read it whole`,
      );
    }
    if (total === 0) {
      return '';
    }
    // A vector search scores every chunk in scope, whatever the query says: all of them come back.
    const { hits } = await this.client.query(document.collection_id, {
      query: 'document',
      mode: 'vector',
      top_k: total,
      filter: { document_ids: [document.id] },
    });
    if (hits.length !== total) {
      throw new Error(`Read ${hits.length} of the ${total} chunks of ${name}; it may have changed meanwhile`);
    }
    return joinChunks(hits);
  }
}
