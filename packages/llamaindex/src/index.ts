export { bookkeepingKeys, hitToNode } from './hit-to-node.js';
export { joinChunks } from './join-chunks.js';
export type { SluiceConnection, SluiceFilter, SluiceSearchMode } from './sluice-connection.js';
export { maxReadableChunks, SluiceReader, type SluiceLoadOptions, type SluiceReaderOptions } from './sluice-reader.js';
export { SluiceRetriever, type SluiceRetrieverOptions } from './sluice-retriever.js';
