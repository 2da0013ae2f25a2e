import { Embeddings } from '@langchain/core/embeddings';

const notHere =
  'Sluice embeds on the server, with the embedder of each collection: SluiceVectorStore sends text, never ' +
  'vectors, so no embeddings are computed here. Search with similaritySearch or a retriever instead.';

/**
 * What `SluiceVectorStore` hands LangChain's `VectorStore` for its required `embeddings`: Sluice
 * embeds documents and queries on the server, so this one computes nothing and says so when called.
 */
export class SluiceServerEmbeddings extends Embeddings {
  constructor() {
    super({});
  }

  override embedDocuments(_documents: string[]): Promise<number[][]> {
    return Promise.reject(new Error(notHere));
  }

  override embedQuery(_document: string): Promise<number[]> {
    return Promise.reject(new Error(notHere));
  }
}
