// Run by `npm run build` after tsc: the tokenizer's rank table as JSON beside the built tokenizer, which
// parse processes load faster than the `.tiktoken` file (see src/tokenizers/load-cl100k-ranks.ts).
import { writeCl100kRanks } from '../dist/tokenizers/load-cl100k-ranks.js';

writeCl100kRanks();
