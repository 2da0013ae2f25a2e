import { NodeRelationship, TextNode, type NodeWithScore } from '@llamaindex/core/schema';
import type { Hit } from '@sluice/client';

/** Keys that serve code, not meaning: left out of what an embedder or an LLM reads of a node. */
export const bookkeepingKeys = ['document_id', 'chunk_index', 'char_start', 'char_end', 'media_type', 'language'];

/**
 * A hit as a LlamaIndex node with its score: the chunk's text, and its document's metadata with where
 * the chunk sits. `source` is the document's own `source` metadata when it has one, else its file
 * name in Sluice; the node's id is the chunk's, and its SOURCE relationship names the Sluice document.
 */
export function hitToNode(hit: Hit): NodeWithScore {
  const node = new TextNode({
    id_: String(hit.chunk_id),
    text: hit.text,
    metadata: {
      source: hit.source,
      ...hit.metadata,
      document_id: hit.document_id,
      chunk_index: hit.index,
      ...(hit.page !== null ? { page: hit.page } : {}),
      char_start: hit.char_start,
      char_end: hit.char_end,
      media_type: hit.media_type,
      language: hit.language,
    },
    startCharIdx: hit.char_start,
    endCharIdx: hit.char_end,
    excludedEmbedMetadataKeys: bookkeepingKeys,
    excludedLlmMetadataKeys: bookkeepingKeys,
    relationships: { [NodeRelationship.SOURCE]: { nodeId: hit.document_id, metadata: { source: hit.source } } },
  });
  return { node, score: hit.score };
}
