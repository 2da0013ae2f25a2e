import type { DocumentMetadata } from './document-metadata.js';
import type { ErrorCode } from './errors.js';
import type { DocumentState } from './states.js';

/** Which embedder a collection is pinned to; vectors of another model never mix into it. */
export interface EmbedderSpec {
  /** Embedder kind, e.g. `hash`. */
  name: string;
  /** Model id within that kind. */
  model: string;
  dimension: number;
}

/** Who owns collections; an API key belongs to one tenant, and nothing crosses tenants. */
export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
  /** This tenant's own limits; null ones take the deployment's defaults. */
  limits: TenantLimits;
}

/**
 * What one tenant may hold and run. `maxInFlight` caps its documents handed to the queue at once, so
 * that one tenant's large batch cannot fill the queue ahead of everyone else's; the rest are quotas,
 * checked before a file is accepted. 0 means no limit.
 */
export interface TenantLimits {
  maxInFlight: number | null;
  maxDocuments: number | null;
  maxBytes: number | null;
  maxChunks: number | null;
}

/** What a tenant holds now, against its quotas. */
export interface TenantUsage {
  /** Documents that hold or will hold content (queued, running or completed). */
  documents: number;
  bytes: number;
  chunks: number;
}

/** An API key as stored: its hash stays in the store, its secret nowhere. Times are ISO strings. */
export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  /** Admin keys may create tenants and keys. */
  admin: boolean;
  /**
   * The first characters of the secret after `sk_`, so people can tell keys apart (shown as
   * `sk_AbCd1234…`); null for keys made before prefixes were kept.
   */
  prefix: string | null;
  /** A label chosen by whoever made the key. */
  name: string | null;
  createdAt: string;
  /** Recorded at most about once a minute per API process, so it may lag by that much. */
  lastUsedAt: string | null;
  /** From then on the key no longer authenticates; null: never. */
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface Collection {
  id: string;
  tenantId: string;
  name: string;
  embedder: EmbedderSpec;
  /**
   * A document whose chunks mostly embedded but some failed for good is published without them and
   * ends `completed_with_errors` (instead of `failed`), listing the chunks left out.
   */
  partialSuccess: boolean;
  createdAt: string;
}

export interface Batch {
  id: string;
  collectionId: string;
  /** What the batch came from: a folder, a glob, an upload. */
  label: string;
  createdAt: string;
}

export interface DocumentRecord {
  id: string;
  collectionId: string;
  batchId: string;
  /** Where the file came from (path or upload name); re-ingest of the same source replaces its chunks. */
  source: string;
  sha256: string;
  sizeBytes: number;
  mediaType: string | null;
  /** ISO 639-1 code of the language most of its text is in, detected when parsed; null if unknown. */
  language: string | null;
  /** What its uploader attached (`parseMetadata`), filterable in searches; empty for none. */
  metadata: DocumentMetadata;
  state: DocumentState;
  priority: number;
  attempts: number;
  attemptId: string | null;
  errorCode: ErrorCode | null;
  errorMessage: string | null;
  /** Set on `skipped`: the document whose identical bytes are already in the collection. */
  duplicateOf: string | null;
  chunksTotal: number;
  chunksEmbedded: number;
  /** Pages of a paged file (PDF) as the current attempt parses it: null until it knows, and for other formats. */
  pagesTotal: number | null;
  /** Pages the current attempt has read so far. */
  pagesParsed: number;
  /** Earliest time a retry may start (ISO), when waiting for backoff. */
  availableAt: string | null;
  /** When the document was handed to the queue; null while it waits for its tenant's turn. */
  dispatchedAt: string | null;
  /** The worker process that runs (or last ran) the current attempt. */
  workerId: string | null;
  /** On `completed_with_errors`: the indexes of the chunks that could not be embedded. */
  failedChunks: number[];
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/** Progress of a batch, derived from its documents. */
export interface BatchProgress {
  batch: Batch;
  filesTotal: number;
  filesDone: number;
  byState: Partial<Record<DocumentState, number>>;
  chunksTotal: number;
  chunksEmbedded: number;
  /** Pages of the paged files being parsed or embedded (PDF), and how many of them are read. */
  pagesTotal: number;
  pagesParsed: number;
  /**
   * Files done, plus the share of each unfinished one that is done (`documentWorkSql`): between
   * `filesDone` and `filesTotal`, and moving while one large file is worked on.
   */
  workDone: number;
  /** True once every document is in a terminal state. */
  finished: boolean;
}

/** What a parser extracts: plain text with enough structure to cut well and cite well. */
export interface ParsedDocument {
  text: string;
  mediaType: string;
  /** Char offset where each page starts (page n+1 starts at pageStarts[n]); absent when the format has no pages. */
  pageStarts?: number[];
  /**
   * Char offsets (ascending) where the format marks a heading: Markdown's outside code, HTML's `<h1>`–`<h6>`.
   * The chunker starts a new chunk there; a line that merely begins with `#` is not one.
   */
  headings?: number[];
  /** Ranges [start, end) of code (Markdown fences, HTML `<pre>`), ascending: the chunker never cuts one that fits. */
  codeBlocks?: [start: number, end: number][];
  title?: string;
}

/** One piece of a document's text, within the token limit. */
export interface Chunk {
  index: number;
  text: string;
  tokenCount: number;
  /** Offsets into the parsed text: `text === parsed.text.slice(charStart, charEnd)`. */
  charStart: number;
  charEnd: number;
  /** 1-based page of the chunk's first character, where the format has pages. */
  page: number | null;
}

export interface EmbeddedChunk extends Chunk {
  vector: Float32Array;
}

export type SearchMode = 'hybrid' | 'vector' | 'text';

export interface SearchHit {
  chunkId: number;
  documentId: string;
  source: string;
  index: number;
  text: string;
  charStart: number;
  charEnd: number;
  page: number | null;
  score: number;
  /** The document's media type, language and metadata, as on `DocumentRecord`. */
  mediaType: string | null;
  language: string | null;
  metadata: DocumentMetadata;
  /** A passage of the text around the first query word (see `snippetOf`), set by the search. */
  snippet?: string;
  /** Where in the snippet the query's words (or their forms) stand: `[start, end)` offsets. */
  snippetHighlights?: [number, number][];
}
