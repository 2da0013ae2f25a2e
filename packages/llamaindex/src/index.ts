export { bookkeepingKeys, hitToNode } from './hit-to-node.js';
export { joinChunks } from '@sluice/client';
export type { QueryFilter as SluiceFilter, SearchMode as SluiceSearchMode, SluiceConnection } from '@sluice/client';
export { SluiceReader, type SluiceLoadOptions, type SluiceReaderOptions } from './sluice-reader.js';
export { SluiceRetriever, type SluiceRetrieverOptions } from './sluice-retriever.js';
