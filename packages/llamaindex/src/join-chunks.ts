import type { Hit } from '@sluice/client';

/**
 * A document's text put back together from all of its chunks. Each chunk is its text's exact slice
 * `[char_start, char_end)`; neighbours overlap, or (across a heading) are apart by whitespace the
 * chunker trimmed, which comes back as one line break, or a blank line if it was wider.
 */
export function joinChunks(chunks: Pick<Hit, 'index' | 'text' | 'char_start' | 'char_end'>[]): string {
  let text = '';
  let end = 0;
  for (const chunk of [...chunks].sort((a, b) => a.index - b.index)) {
    if (text === '' || chunk.char_start >= end) {
      const gap = chunk.char_start - end;
      text += (text === '' ? '' : gap >= 2 ? '\n\n' : '\n') + chunk.text;
    } else {
      text += chunk.text.slice(end - chunk.char_start);
    }
    end = Math.max(end, chunk.char_end);
  }
  return text;
}
