import type { DocumentRecord } from '../core/types.js';
import type { ChunkIndex } from '../ports/chunk-index.js';

/** Chunks read per store call while a document's text is put back together. */
const chunksPerRead = 200;

export interface DocumentText {
  text: string;
  /** True when the document holds more than the text returned. */
  truncated: boolean;
}

/**
 * A document's text put back together from its published chunks, at most `maxChars` of it. Chunks
 * overlap: each one adds only what lies past the previous one's end. A gap between two (whitespace the
 * chunker trimmed, or a chunk that failed for good) becomes a line break, or a blank line if longer, as
 * the client's `joinChunks` has it. A skipped copy reads the text of the document it duplicates.
 */
export async function readDocumentText(
  store: Pick<ChunkIndex, 'documentChunks'>,
  document: DocumentRecord,
  maxChars: number,
): Promise<DocumentText> {
  const holder = document.duplicateOf ?? document.id;
  let text = '';
  let end = 0;
  for (let from = 0; ;) {
    const chunks = await store.documentChunks(holder, { from, limit: chunksPerRead });
    for (const chunk of chunks) {
      const gap = chunk.charStart - end;
      const joint = text === '' || gap <= 0 ? '' : gap === 1 ? '\n' : '\n\n';
      text += joint + (gap >= 0 ? chunk.text : chunk.text.slice(-gap));
      end = Math.max(end, chunk.charEnd);
      if (text.length > maxChars) {
        return { text: text.slice(0, maxChars), truncated: true };
      }
    }
    const last = chunks[chunks.length - 1];
    if (!last || chunks.length < chunksPerRead) {
      return { text, truncated: false };
    }
    from = last.index + 1;
  }
}
