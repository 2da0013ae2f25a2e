import { z } from 'zod';
import { documentStates } from '../core/states.js';
import type { DocumentRecord, SearchHit } from '../core/types.js';

/** The resource a document's text is read at. */
export const documentUri = (documentId: string): string => `sluice://documents/${documentId}`;

const scalar = z.union([z.string(), z.number(), z.boolean()]);
export const metadataSchema = z.record(z.string(), z.union([scalar, z.array(scalar)]));

/** A document as the tools show it: the fields of the REST view an agent acts on, snake_case alike. */
export const documentSchema = z.object({
  id: z.string(),
  uri: z.string(),
  collection_id: z.string(),
  batch_id: z.string(),
  source: z.string(),
  state: z.enum(documentStates),
  media_type: z.string().nullable(),
  language: z.string().nullable(),
  size_bytes: z.number(),
  metadata: metadataSchema,
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  duplicate_of: z.string().nullable(),
  chunks_total: z.number(),
  failed_chunks: z.array(z.number()),
  created_at: z.string(),
  completed_at: z.string().nullable(),
});

export function toDocumentView(d: DocumentRecord): z.infer<typeof documentSchema> {
  return {
    id: d.id,
    uri: documentUri(d.id),
    collection_id: d.collectionId,
    batch_id: d.batchId,
    source: d.source,
    state: d.state,
    media_type: d.mediaType,
    language: d.language,
    size_bytes: d.sizeBytes,
    metadata: d.metadata,
    error: d.errorCode ? { code: d.errorCode, message: d.errorMessage ?? '' } : null,
    duplicate_of: d.duplicateOf,
    chunks_total: d.chunksTotal,
    failed_chunks: d.failedChunks,
    created_at: d.createdAt,
    completed_at: d.completedAt,
  };
}

export const hitSchema = z.object({
  document_id: z.string(),
  uri: z.string(),
  source: z.string(),
  score: z.number(),
  chunk_index: z.number(),
  page: z.number().nullable(),
  /** About 240 characters around the first query word. */
  snippet: z.string(),
  /** The whole chunk. */
  text: z.string(),
  media_type: z.string().nullable(),
  language: z.string().nullable(),
  metadata: metadataSchema,
});

export function toHitView(h: SearchHit): z.infer<typeof hitSchema> {
  return {
    document_id: h.documentId,
    uri: documentUri(h.documentId),
    source: h.source,
    score: h.score,
    chunk_index: h.index,
    page: h.page,
    snippet: h.snippet ?? h.text.slice(0, 240),
    text: h.text,
    media_type: h.mediaType,
    language: h.language,
    metadata: h.metadata,
  };
}

/** Metadata on one line, for the text of an answer. */
export function metadataLine(metadata: DocumentRecord['metadata']): string {
  return Object.entries(metadata)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('|') : String(value)}`)
    .join(', ');
}
