import { z } from 'zod';
import { documentStates } from '../core/states.js';
import type { BatchProgress, Chunk, Collection, DocumentRecord, SearchHit } from '../core/types.js';

const metadataValue = z.union([z.string(), z.number(), z.boolean()]);
/** What the uploader attached to a document; empty for none. */
const metadataView = z.record(z.string(), z.union([metadataValue, z.array(metadataValue)]));

/** What the API shows of things: snake_case JSON, stable field names, no internal fields. */
export const collectionView = z.object({
  id: z.string(),
  name: z.string(),
  embedder: z.object({ name: z.string(), model: z.string(), dimension: z.number() }),
  /** Whether a document may be published without chunks that failed for good (`completed_with_errors`). */
  partial_success: z.boolean(),
  created_at: z.string(),
});

/** What a collection holds. */
export const collectionStatsView = z.object({
  documents: z.number(),
  documents_by_state: z.record(z.string(), z.number()),
  /** Chunks published for search. */
  chunks: z.number(),
  /** Bytes of the raw files its documents keep, each file once. */
  stored_bytes: z.number(),
});

export const documentView = z.object({
  id: z.string(),
  collection_id: z.string(),
  batch_id: z.string(),
  source: z.string(),
  sha256: z.string(),
  size_bytes: z.number(),
  media_type: z.string().nullable(),
  /** ISO 639-1 code of the language detected in its text once parsed; null before, or if unknown. */
  language: z.string().nullable(),
  metadata: metadataView,
  state: z.enum(documentStates),
  attempts: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  duplicate_of: z.string().nullable(),
  /**
   * How far the current attempt is: chunks embedded of those the file made, and for a paged file (PDF)
   * pages read of its pages while it is parsed (`pages_total` null for other formats, and before it is
   * known). `percent` weighs both (pages read are half of a paged file's work).
   */
  progress: z.object({
    chunks_total: z.number(),
    chunks_embedded: z.number(),
    pages_total: z.number().nullable(),
    pages_parsed: z.number(),
    percent: z.number(),
  }),
  /**
   * What a queued document waits for: a free worker (it is in the queue), its tenant's share of the
   * workers (it waits in the ledger for its turn), a retry (until `available_at`), or the document
   * with the same bytes it is a copy of (`duplicate_of`), whose end it shares; null otherwise.
   */
  waiting_for: z.enum(['worker', 'tenant_share', 'retry', 'original']).nullable(),
  /** On a single queued document: its place in what it waits for (1 is next). */
  queue_position: z.number().optional(),
  /** On `completed_with_errors`: the chunks left out (their indexes), with `error` saying why. */
  failed_chunks: z.array(z.number()),
  available_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  completed_at: z.string().nullable(),
});

export const batchView = z.object({
  id: z.string(),
  collection_id: z.string(),
  label: z.string(),
  created_at: z.string(),
  finished: z.boolean(),
  progress: z.object({
    files_total: z.number(),
    files_done: z.number(),
    chunks_total: z.number(),
    chunks_embedded: z.number(),
    /** Pages of the paged files (PDF) being worked on, and how many of them are read. */
    pages_total: z.number(),
    pages_parsed: z.number(),
    /** Files done, and the share done of those still worked on, over all files. */
    percent: z.number(),
  }),
  counts: z.record(z.string(), z.number()),
});

export const hitView = z.object({
  chunk_id: z.number().describe("The chunk's id in the collection"),
  document_id: z.string(),
  source: z.string().describe("The document's file name (or object key) as uploaded"),
  index: z.number().describe("The chunk's place in its document, from 0"),
  text: z.string().describe('The whole chunk'),
  snippet: z
    .string()
    .describe("About 240 characters of the chunk around the query's first word, on one line, `…` where cut"),
  snippet_highlights: z
    .array(z.object({ start: z.number(), end: z.number() }))
    .describe(
      "Where in `snippet` the query's words stand, `start` to `end` (exclusive; UTF-16 offsets, as JavaScript counts): " +
        "words beginning with a query word, forms of it in the document's language, Chinese or Japanese anywhere",
    ),
  char_start: z.number().describe("Where the chunk starts in the document's parsed text"),
  char_end: z.number().describe('Where it ends (exclusive)'),
  page: z.number().nullable().describe('The 1-based page of its first character, for a paged format (PDF)'),
  score: z
    .number()
    .describe(
      'Higher is better, within one answer: in `hybrid` the reciprocal-rank fusion of both rankings (about 0.016 to ' +
        '0.033), in `vector` the cosine similarity, in `text` the BM25 score (its scale depends on the store)',
    ),
  media_type: z.string().nullable().describe("The document's, as on the document"),
  language: z.string().nullable().describe("The document's detected language (ISO 639-1), as on the document"),
  metadata: metadataView,
});

/** A published chunk of a document. */
export const chunkView = z.object({
  index: z.number(),
  text: z.string().describe("Exactly the document's parsed text from `char_start` to `char_end`"),
  char_start: z.number(),
  char_end: z.number(),
  page: z.number().nullable().describe('The 1-based page of its first character, for a paged format (PDF)'),
  token_count: z.number(),
});

/** One page of a document's published chunks. */
export const documentChunksView = z.object({
  document_id: z.string(),
  state: z
    .enum(documentStates)
    .describe("The document's own: until it completes, the chunks are none, or an earlier version's"),
  chunks_of: z
    .string()
    .describe('The document whose chunks these are: this one, or the original a skipped copy shares them with'),
  chunks: z.array(chunkView),
  next_cursor: z.string().nullable().describe('Pass it back as `cursor` for the next page; null on the last one'),
});

export function toCollectionView(c: Collection): z.infer<typeof collectionView> {
  return { id: c.id, name: c.name, embedder: c.embedder, partial_success: c.partialSuccess, created_at: c.createdAt };
}

function waitingFor(d: DocumentRecord): 'worker' | 'tenant_share' | 'retry' | 'original' | null {
  if (d.state !== 'queued') {
    return null;
  }
  if (d.duplicateOf) {
    return 'original';
  }
  if (d.availableAt && Date.parse(d.availableAt) > Date.now()) {
    return 'retry';
  }
  return d.dispatchedAt ? 'worker' : 'tenant_share';
}

/** The share of a document's attempt that is done, as `documentWorkSql` counts it for a batch. */
function workDoneOf(d: DocumentRecord): number {
  if (d.state === 'completed') {
    return 1;
  }
  const embedded = d.chunksTotal > 0 ? d.chunksEmbedded / d.chunksTotal : 0;
  return d.pagesTotal !== null && d.pagesTotal > 0 ? 0.5 * (d.pagesParsed / d.pagesTotal) + 0.5 * embedded : embedded;
}

export function toDocumentView(d: DocumentRecord): z.infer<typeof documentView> {
  const percent = Math.round(1000 * workDoneOf(d)) / 10;
  return {
    id: d.id,
    collection_id: d.collectionId,
    batch_id: d.batchId,
    source: d.source,
    sha256: d.sha256,
    size_bytes: d.sizeBytes,
    media_type: d.mediaType,
    language: d.language,
    metadata: d.metadata,
    state: d.state,
    attempts: d.attempts,
    error: d.errorCode ? { code: d.errorCode, message: d.errorMessage ?? '' } : null,
    duplicate_of: d.duplicateOf,
    progress: {
      chunks_total: d.chunksTotal,
      chunks_embedded: d.chunksEmbedded,
      pages_total: d.pagesTotal,
      pages_parsed: d.pagesParsed,
      percent,
    },
    waiting_for: waitingFor(d),
    failed_chunks: d.failedChunks,
    available_at: d.availableAt,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    completed_at: d.completedAt,
  };
}

export function toBatchView(p: BatchProgress): z.infer<typeof batchView> {
  return {
    id: p.batch.id,
    collection_id: p.batch.collectionId,
    label: p.batch.label,
    created_at: p.batch.createdAt,
    finished: p.finished,
    progress: {
      files_total: p.filesTotal,
      files_done: p.filesDone,
      chunks_total: p.chunksTotal,
      chunks_embedded: p.chunksEmbedded,
      pages_total: p.pagesTotal,
      pages_parsed: p.pagesParsed,
      percent: p.filesTotal > 0 ? Math.round((1000 * p.workDone) / p.filesTotal) / 10 : 100,
    },
    counts: Object.fromEntries(Object.entries(p.byState).map(([k, v]) => [k, v ?? 0])),
  };
}

export function toHitView(h: SearchHit): z.infer<typeof hitView> {
  return {
    chunk_id: h.chunkId,
    document_id: h.documentId,
    source: h.source,
    index: h.index,
    text: h.text,
    snippet: h.snippet ?? h.text.slice(0, 240),
    snippet_highlights: (h.snippetHighlights ?? []).map(([start, end]) => ({ start, end })),
    char_start: h.charStart,
    char_end: h.charEnd,
    page: h.page,
    score: h.score,
    media_type: h.mediaType,
    language: h.language,
    metadata: h.metadata,
  };
}

export function toChunkView(c: Chunk): z.infer<typeof chunkView> {
  return {
    index: c.index,
    text: c.text,
    char_start: c.charStart,
    char_end: c.charEnd,
    page: c.page,
    token_count: c.tokenCount,
  };
}
