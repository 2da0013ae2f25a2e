/** The tokenizer port: its shape lives in core, where the chunker counts with it. */
export type { TextTokenIndex, Tokenizer } from '../core/tokenizer.js';
