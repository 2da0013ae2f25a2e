import type { DocumentChunk } from './types.js';

/**
 * A document's text put back together from its chunks, each the text's exact slice
 * `[char_start, char_end)`. Neighbours overlap (each adds what lies past the one before) or touch,
 * which gives the text back exactly; whitespace the chunker trimmed between two that do not (or a
 * chunk that failed for good) comes back as one line break, or a blank line if it was wider.
 */
export function joinChunks(
  chunks: readonly Pick<DocumentChunk, 'index' | 'text' | 'char_start' | 'char_end'>[],
): string {
  let text = '';
  let end = 0;
  for (const chunk of [...chunks].sort((a, b) => a.index - b.index)) {
    const gap = chunk.char_start - end;
    if (text === '') {
      text = chunk.text;
    } else if (gap >= 0) {
      text += (gap === 0 ? '' : gap === 1 ? '\n' : '\n\n') + chunk.text;
    } else {
      text += chunk.text.slice(-gap);
    }
    end = Math.max(end, chunk.char_end);
  }
  return text;
}
