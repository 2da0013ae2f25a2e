import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import type { Tokenizer } from '../ports/tokenizer.js';

// Documents may quote special tokens such as "<|endoftext|>"; they are text here, not control tokens.
const asPlainText = { disallowedSpecial: new Set<string>() };

/** cl100k_base, the encoding of OpenAI's embedding models, so chunk limits match what they accept. */
export function createCl100kTokenizer(): Tokenizer {
  return {
    name: 'cl100k_base',
    count: (text) => countTokens(text, asPlainText),
  };
}
