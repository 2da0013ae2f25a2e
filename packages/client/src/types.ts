import type { components, paths } from './openapi.js';

/** The JSON body of a response or request object of the generated paths. */
type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

export type Problem = components['schemas']['Problem'];
/** The stable codes of the API's errors (`Problem.code`). */
export type ErrorCode = Problem['code'];
/** A `document.state` or `document.progress` event of a batch's or a document's stream. */
export type StreamEvent = components['schemas']['StreamEvent'];

export type Collection = Json<paths['/v1/collections/{id}']['patch']['responses'][200]>;
export type CollectionWithStats = Json<paths['/v1/collections/{id}']['get']['responses'][200]>;
export type CreateCollection = Json<paths['/v1/collections']['post']['requestBody']>;
export type UpdateCollection = Json<paths['/v1/collections/{id}']['patch']['requestBody']>;
export type Batch = Json<paths['/v1/batches/{id}']['get']['responses'][200]>;
export type SluiceDocument = Json<paths['/v1/documents/{id}']['get']['responses'][200]>;
export type DocumentPage = Json<paths['/v1/documents']['get']['responses'][200]>;
export type DocumentQuery = NonNullable<paths['/v1/documents']['get']['parameters']['query']>;
export type DocumentState = SluiceDocument['state'];
/** One page of a document's published chunks, in order. */
export type ChunkPage = Json<paths['/v1/documents/{id}/chunks']['get']['responses'][200]>;
export type ChunkQuery = NonNullable<paths['/v1/documents/{id}/chunks']['get']['parameters']['query']>;
export type DocumentChunk = ChunkPage['chunks'][number];
export type Metadata = SluiceDocument['metadata'];
export type QueryRequest = Json<paths['/v1/collections/{id}/query']['post']['requestBody']>;
/** A query's filter: every condition given must hold. */
export type QueryFilter = NonNullable<QueryRequest['filter']>;
/** `hybrid` (vector and full text fused by rank), `vector` or `text` (BM25). */
export type SearchMode = NonNullable<QueryRequest['mode']>;
export type QueryAnswer = Json<paths['/v1/collections/{id}/query']['post']['responses'][200]>;
export type Hit = QueryAnswer['hits'][number];
export type Source = Json<paths['/v1/sources/{id}']['get']['responses'][200]>;
export type CreateSource = Json<paths['/v1/collections/{id}/sources']['post']['requestBody']>;
export type Scan = NonNullable<Source['scan']>;
export type ScanRequest = Json<paths['/v1/sources/{id}/scan']['post']['requestBody']>;
export type Stats = Json<paths['/v1/stats']['get']['responses'][200]>;
export type Status = Json<paths['/v1/status']['get']['responses'][200]>;
/** The answer to an upload: its batch and one document per file (202, or 200 when `wait` saw it end). */
export type UploadAnswer = Json<paths['/v1/collections/{id}/documents']['post']['responses'][202]>;

/** What a batch's stream yields: its documents' events, then the batch as it ended. */
export type BatchEvent = StreamEvent | { type: 'batch.finished'; batch: Batch };
/** What a document's stream yields: its events, then the document as it ended (null once deleted). */
export type DocumentEvent = StreamEvent | { type: 'document.finished'; document: SluiceDocument | null };
