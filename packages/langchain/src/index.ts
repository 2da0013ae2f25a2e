export { hitToDocument } from './hit-to-document.js';
export { SluiceServerEmbeddings } from './server-side-embeddings.js';
export type { QueryFilter as SluiceFilter, SearchMode as SluiceSearchMode, SluiceConnection } from '@sluice/client';
export { SluiceIngestError, type IngestFailure } from './sluice-ingest-error.js';
export { SluiceRetriever, type SluiceRetrieverFields } from './sluice-retriever.js';
export { SluiceVectorStore, type SluiceAddOptions, type SluiceVectorStoreFields } from './sluice-vector-store.js';
export { toSluiceMetadata, type SluiceMetadataResult } from './to-sluice-metadata.js';
