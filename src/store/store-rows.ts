/** Rows as both SQL backends return them (snake_case, timestamps as ISO text), mapped to domain types. */
import { metadataOf } from '../core/document-metadata.js';
import type { ErrorCode } from '../core/errors.js';
import { runningStates, terminalStates, type DocumentState } from '../core/states.js';
import type {
  ApiKeyRecord,
  Batch,
  BatchProgress,
  Chunk,
  Collection,
  DocumentRecord,
  SearchHit,
  Tenant,
} from '../core/types.js';
import type { SluiceEvent } from '../ports/event-bus.js';
import type { WaitingSummary } from '../ports/store.js';

export interface CollectionRow {
  id: string;
  tenant_id: string;
  name: string;
  embedder_name: string;
  embedder_model: string;
  dimension: number;
  partial_success: number | boolean;
  created_at: string;
}

export interface BatchRow {
  id: string;
  collection_id: string;
  label: string;
  created_at: string;
}

export interface DocumentRow {
  id: string;
  collection_id: string;
  batch_id: string;
  source: string;
  sha256: string;
  size_bytes: number;
  media_type: string | null;
  language: string | null;
  /** JSON text, or null for none. */
  metadata: string | null;
  state: string;
  priority: number;
  attempts: number;
  attempt_id: string | null;
  error_code: string | null;
  error_message: string | null;
  duplicate_of: string | null;
  chunks_total: number;
  chunks_embedded: number;
  pages_total: number | null;
  pages_parsed: number;
  available_at: string | null;
  dispatched_at: string | null;
  worker_id: string | null;
  dispatch_turn: number | null;
  /** JSON text in SQLite, an array in Postgres. */
  failed_chunks: string | number[] | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export function toCollection(row: CollectionRow): Collection {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    embedder: { name: row.embedder_name, model: row.embedder_model, dimension: row.dimension },
    partialSuccess: Boolean(row.partial_success),
    createdAt: row.created_at,
  };
}

export function toBatch(row: BatchRow): Batch {
  return { id: row.id, collectionId: row.collection_id, label: row.label, createdAt: row.created_at };
}

export function toDocument(row: DocumentRow): DocumentRecord {
  return {
    id: row.id,
    collectionId: row.collection_id,
    batchId: row.batch_id,
    source: row.source,
    sha256: row.sha256,
    sizeBytes: row.size_bytes,
    mediaType: row.media_type,
    language: row.language,
    metadata: metadataOf(row.metadata),
    state: row.state as DocumentState,
    priority: row.priority,
    attempts: row.attempts,
    attemptId: row.attempt_id,
    errorCode: row.error_code as ErrorCode | null,
    errorMessage: row.error_message,
    duplicateOf: row.duplicate_of,
    chunksTotal: row.chunks_total,
    chunksEmbedded: row.chunks_embedded,
    pagesTotal: row.pages_total,
    pagesParsed: row.pages_parsed,
    availableAt: row.available_at,
    dispatchedAt: row.dispatched_at,
    workerId: row.worker_id,
    failedChunks:
      typeof row.failed_chunks === 'string' ? (JSON.parse(row.failed_chunks) as number[]) : (row.failed_chunks ?? []),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  };
}

/** Aggregates of queued documents, as both backends compute them. */
export interface WaitingRow {
  for_worker: number;
  for_worker_since: string | null;
  for_share: number;
  for_share_since: string | null;
  retrying: number;
  next_retry: string | null;
}

export function toWaitingSummary(row: WaitingRow): WaitingSummary {
  return {
    forWorker: { documents: row.for_worker, oldestSince: row.for_worker_since },
    forTenantShare: { documents: row.for_share, oldestSince: row.for_share_since },
    retrying: { documents: row.retrying, nextRetryAt: row.next_retry },
  };
}

export interface TenantRow {
  id: string;
  name: string;
  created_at: string;
  max_in_flight: number | null;
  max_documents: number | null;
  max_bytes: number | null;
  max_chunks: number | null;
}

export function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    limits: {
      maxInFlight: row.max_in_flight,
      maxDocuments: row.max_documents,
      maxBytes: row.max_bytes,
      maxChunks: row.max_chunks,
    },
  };
}

/** Documents of a batch counted per state, as both backends group them. */
export interface StateGroupRow {
  state: DocumentState;
  n: number;
  total: number;
  embedded: number;
  pages_total: number | null;
  pages_parsed: number | null;
  /** The summed share done of the group's documents (`documentWorkSql`). */
  work: number | null;
}

/** Each batch's progress from the state groups of them all (rows with `batch_id`), in the batches' order. */
export function toBatchProgresses(rows: BatchRow[], groups: (StateGroupRow & { batch_id: string })[]): BatchProgress[] {
  const byBatch = new Map<string, StateGroupRow[]>();
  for (const group of groups) {
    byBatch.set(group.batch_id, [...(byBatch.get(group.batch_id) ?? []), group]);
  }
  return rows.map((row) => toBatchProgress(row, byBatch.get(row.id) ?? []));
}

export function toBatchProgress(row: BatchRow, groups: StateGroupRow[]): BatchProgress {
  const progress: BatchProgress = {
    batch: toBatch(row),
    filesTotal: 0,
    filesDone: 0,
    byState: {},
    chunksTotal: 0,
    chunksEmbedded: 0,
    pagesTotal: 0,
    pagesParsed: 0,
    workDone: 0,
    finished: true,
  };
  for (const g of groups) {
    progress.byState[g.state] = g.n;
    progress.filesTotal += g.n;
    progress.chunksTotal += g.total;
    progress.chunksEmbedded += g.embedded;
    if (terminalStates.includes(g.state)) {
      progress.filesDone += g.n;
      progress.workDone += g.n;
    } else {
      progress.finished = false;
    }
    // A queued document's counts are its last attempt's, and its next starts from nothing.
    if (runningStates.includes(g.state)) {
      progress.pagesTotal += g.pages_total ?? 0;
      progress.pagesParsed += g.pages_parsed ?? 0;
      progress.workDone += Math.min(g.n, Math.max(0, g.work ?? 0));
    }
  }
  return progress;
}

/** A chunk found by a search, joined with its document's source. */
export interface HitRow {
  chunk_id: number;
  document_id: string;
  source: string;
  idx: number;
  text: string;
  char_start: number;
  char_end: number;
  page: number | null;
  media_type: string | null;
  language: string | null;
  metadata: string | null;
}

export function toSearchHit(r: HitRow, score: number): SearchHit {
  return {
    chunkId: r.chunk_id,
    documentId: r.document_id,
    source: r.source,
    index: r.idx,
    text: r.text,
    charStart: r.char_start,
    charEnd: r.char_end,
    page: r.page,
    score,
    mediaType: r.media_type,
    language: r.language,
    metadata: metadataOf(r.metadata),
  };
}

/** The columns of HitRow, for a query over chunks `c` joined with documents `d`. */
/** A published chunk as `documentChunks` reads it. */
export interface ChunkRow {
  idx: number;
  text: string;
  token_count: number;
  char_start: number;
  char_end: number;
  page: number | null;
}

export const chunkColumns = 'idx, text, token_count, char_start, char_end, page';

export function toChunk(r: ChunkRow): Chunk {
  return {
    index: r.idx,
    text: r.text,
    tokenCount: r.token_count,
    charStart: r.char_start,
    charEnd: r.char_end,
    page: r.page,
  };
}

export const hitColumns =
  'c.id AS chunk_id, c.document_id, d.source, c.idx, c.text, c.char_start, c.char_end, c.page, d.media_type, d.language, d.metadata';

type ProgressEvent = Extract<SluiceEvent, { type: 'document.progress' }>;

/**
 * A progress event with the document's counts as they stand in its row, read when the event is
 * logged. Counts only grow within an attempt, so serialised appends log them in order. A row that
 * is gone (the document was deleted) leaves the event as it was sent.
 */
export function withCounts(
  event: ProgressEvent,
  row: { chunks_embedded: number; chunks_total: number | null } | undefined,
): ProgressEvent {
  return row
    ? { ...event, chunksEmbedded: row.chunks_embedded, chunksTotal: row.chunks_total ?? event.chunksTotal }
    : event;
}

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  /** 0 or 1 in SQLite, a boolean in Postgres. */
  admin: number | boolean;
  prefix: string | null;
  name: string | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    admin: Boolean(row.admin),
    prefix: row.prefix,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
