import { CL100K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';
import type { Tokenizer } from '../ports/tokenizer.js';
import { loadCl100kRanks } from './load-cl100k-ranks.js';
import { createPreTokenIndex } from './pre-token-index.js';

// Built once per process, on first use: the tables are immutable and cost tens of megabytes.
let encoding: GptEncoding | undefined;
const cl100k = (): GptEncoding => (encoding ??= GptEncoding.getEncodingApi('cl100k_base', loadCl100kRanks));

// Documents may quote special tokens such as "<|endoftext|>"; they are text here, not control tokens.
const asPlainText = { disallowedSpecial: new Set<string>() };

// Pre-tokens repeat (words, indentation, punctuation): their counts are kept, up to this many.
const cachedPieces = 100_000;

/** cl100k_base, the encoding of OpenAI's embedding models, so chunk limits match what they accept. */
export function createCl100kTokenizer(): Tokenizer {
  const encoder = cl100k();
  const count = (text: string): number => encoder.countTokens(text, asPlainText);
  const pieceCounts = new Map<string, number>();
  const countPiece = (piece: string): number => {
    let tokens = pieceCounts.get(piece);
    if (tokens === undefined) {
      tokens = count(piece);
      if (pieceCounts.size >= cachedPieces) {
        pieceCounts.clear();
      }
      pieceCounts.set(piece, tokens);
    }
    return tokens;
  };
  return {
    name: 'cl100k_base',
    count,
    indexText: (text) => createPreTokenIndex(text, CL100K_TOKEN_SPLIT_REGEX, countPiece, count),
  };
}
