import { chunkText, type ChunkerOptions } from '../core/chunker.js';
import type { DocumentParser } from '../ports/parser.js';
import type { DocumentSplitter } from '../ports/splitter.js';
import type { Tokenizer } from '../ports/tokenizer.js';

/**
 * Parses and chunks on the calling thread (`SLUICE_PARSE_PROCESSES=0`, and the tight-loop bench): no
 * process to start or copy to, and no sandbox either. Give the chunker `yieldToEventLoop` where the
 * thread also serves requests or renews job locks.
 */
export function createInProcessSplitter(
  parser: DocumentParser,
  tokenizer: Tokenizer,
  chunker: ChunkerOptions,
): DocumentSplitter {
  return {
    async split(input, options = {}) {
      const { signal, onPages } = options;
      const parsed = await parser.parse(input, {
        ...(signal ? { signal } : {}),
        ...(onPages ? { onPages: ({ read, pageCount }) => onPages({ read, total: pageCount }) } : {}),
      });
      options.onParsed?.();
      return { mediaType: parsed.mediaType, chunks: await chunkText(parsed, tokenizer, chunker) };
    },
    close: async () => parser.close?.(),
  };
}
