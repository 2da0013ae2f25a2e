import { CL100K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';
import type { Tokenizer } from '../ports/tokenizer.js';
import { countBytePairTokens } from './byte-pair-merge.js';
import { createBytePairRanks, type BytePairRanks } from './byte-pair-ranks.js';
import { loadCl100kRanks, type RankEntry } from './load-cl100k-ranks.js';
import { createPreTokenIndex } from './pre-token-index.js';

// Built once per process, on first use: the tables are immutable and cost tens of megabytes. The byte
// table is built only when a long piece is first met.
let entries: RankEntry[] | undefined;
let encoding: GptEncoding | undefined;
let byteRanks: BytePairRanks | undefined;
const cl100kRanks = (): RankEntry[] => (entries ??= loadCl100kRanks());
const cl100k = (): GptEncoding =>
  (encoding ??= withoutMergeCache(GptEncoding.getEncodingApi('cl100k_base', cl100kRanks)));

/**
 * The library keeps a cache of 100,000 merges in a Map and, once full, drops its oldest key for each new
 * one; the holes deleted keys leave make finding the oldest slower with every word, so text of many new
 * words ran many times slower the longer a process ran (BENCH.md). Pieces are cached here instead
 * (`pieceCounts`).
 */
function withoutMergeCache(encoding: GptEncoding): GptEncoding {
  encoding.setMergeCacheSize(0);
  return encoding;
}
const cl100kByteRanks = (): BytePairRanks => (byteRanks ??= createBytePairRanks(cl100kRanks()));

// Documents may quote special tokens such as "<|endoftext|>"; they are text here, not control tokens.
const asPlainText = { disallowedSpecial: new Set<string>() };

// Pre-tokens repeat (words, indentation, punctuation, and the windows a chunker cuts from a run of
// one character): their counts are kept, up to this many pieces and this many characters.
const cachedPieces = 100_000;
const cachedChars = 4_000_000;

/**
 * Pieces longer than this are merged here, in O(n log n) (`mergeBytePairs`), not by gpt-tokenizer,
 * whose merge is O(n²) in the length of a piece: a run of dashes or a line of letters 64k long took
 * seconds. The heap merge is already the faster well below this length (BENCH.md); and no token's text is
 * longer than 128 chars, so a longer piece is never one token whole (which the library checks before merging).
 */
const longPiece = 128;

/** cl100k_base, the encoding of OpenAI's embedding models, so chunk limits match what they accept. */
export function createCl100kTokenizer(): Tokenizer {
  const encoder = cl100k();
  const textEncoder = new TextEncoder();
  const pieceCounts = new Map<string, number>();
  let pieceChars = 0;
  const countPiece = (piece: string): number => {
    let tokens = pieceCounts.get(piece);
    if (tokens === undefined) {
      tokens =
        piece.length > longPiece
          ? countBytePairTokens(textEncoder.encode(piece), cl100kByteRanks())
          : encoder.countTokens(piece, asPlainText);
      if (pieceCounts.size >= cachedPieces || pieceChars + piece.length > cachedChars) {
        pieceCounts.clear();
        pieceChars = 0;
      }
      pieceCounts.set(piece, tokens);
      pieceChars += piece.length;
    }
    return tokens;
  };
  // Pieces are encoded one by one, so a text's count is the sum of its pieces'. A text no longer than
  // a long piece holds none: the library counts it in one call.
  const count = (text: string): number => {
    if (text.length <= longPiece) {
      return encoder.countTokens(text, asPlainText);
    }
    let tokens = 0;
    for (const [piece] of text.matchAll(CL100K_TOKEN_SPLIT_REGEX)) {
      tokens += countPiece(piece);
    }
    return tokens;
  };
  return {
    name: 'cl100k_base',
    count,
    indexText: (text) => createPreTokenIndex(text, CL100K_TOKEN_SPLIT_REGEX, countPiece, count),
  };
}
