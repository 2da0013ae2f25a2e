import { createDocumentParser } from '../../src/parsers/create-document-parser.js';
import { createInProcessSplitter } from '../../src/parsers/in-process-splitter.js';
import { createSandboxedSplitter } from '../../src/runtime/parse-processes/sandboxed-splitter.js';
import { createCl100kTokenizer } from '../../src/tokenizers/cl100k-tokenizer.js';
import { describeSplitterContract, splitterSettings } from './splitter-contract.js';

const { limits, chunker } = splitterSettings;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

describeSplitterContract('in-process', () =>
  createInProcessSplitter(createDocumentParser(limits), createCl100kTokenizer(), chunker),
);

// Two parse processes, so that files split at once run in separate processes.
describeSplitterContract('sandboxed (parse processes)', () =>
  createSandboxedSplitter({ ...limits, chunker, processes: 2, maxHeapMb: 256, logger: silent }),
);
