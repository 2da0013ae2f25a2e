import { Document } from '@langchain/core/documents';
import type { Hit } from '@sluice/client';

/**
 * A hit as a LangChain `Document`: the chunk's text, and its document's metadata with where the chunk
 * sits. `source` is the document's own `source` metadata when it has one (as LangChain loaders set),
 * else its file name in Sluice. `id` is the Sluice document's id, the one `addDocuments` answers and
 * `delete` takes; the chunk's own is `chunkId`.
 */
export function hitToDocument(hit: Hit): Document {
  return new Document({
    id: hit.document_id,
    pageContent: hit.text,
    metadata: {
      source: hit.source,
      ...hit.metadata,
      documentId: hit.document_id,
      chunkId: hit.chunk_id,
      chunkIndex: hit.index,
      score: hit.score,
      page: hit.page,
      charStart: hit.char_start,
      charEnd: hit.char_end,
      mediaType: hit.media_type,
      language: hit.language,
    },
  });
}
