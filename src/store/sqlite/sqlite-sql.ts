import type { DocumentState } from '../../core/states.js';
import {
  attemptResets,
  documentWorkSql,
  inFlightSql,
  languagesOfCollectionSql,
  awaitingDispatchInOrder,
  documentOfSource,
  fencedUpdate,
  mayEnter,
  newVersionResets,
  runningSql,
  stagedColumns,
  terminalSql,
  twinOf,
  unfinishedSql,
} from '../document-sql.js';
import { chunkColumns, hitColumns } from '../store-rows.js';

/**
 * The SQLite backend's SQL, in one place (pg-boss's `plans.js`); the role files run it through the
 * statement cache, which compiles each text once. A collection's own tables (`collectionTables`) vary,
 * so statements on them are functions of the table's name. Placeholders are `?` or `@name`.
 */

export const storeSql = {
  ping: 'SELECT 1',
};

export const tenantSql = {
  byName: 'SELECT * FROM tenants WHERE name = ?',
  byId: 'SELECT * FROM tenants WHERE id = ?',
  insert: 'INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
  setLimits: `UPDATE tenants SET max_in_flight = @maxInFlight, max_documents = @maxDocuments, max_bytes = @maxBytes, max_chunks = @maxChunks
    WHERE id = @id RETURNING *`,
  /**
   * From the counters (`sqlite-usage-counts.ts`): the documents a tenant holds (failed, cancelled and
   * skipped ones hold none), the bytes of the raw files its documents keep on disk, each file once,
   * whatever its documents' states, and its published chunks.
   */
  usage: `SELECT
      (SELECT coalesce(sum(k.documents), 0) FROM document_counts k JOIN collections c ON c.id = k.collection_id
        WHERE c.tenant_id = @id AND k.state NOT IN ('failed', 'cancelled', 'skipped')) AS documents,
      coalesce((SELECT stored_bytes FROM tenant_usage WHERE tenant_id = @id), 0) AS bytes,
      (SELECT coalesce(sum(u.chunks), 0) FROM collection_usage u JOIN collections c ON c.id = u.collection_id
        WHERE c.tenant_id = @id) AS chunks`,
  deleteRows: [
    'DELETE FROM idempotency_keys WHERE tenant_id = ?',
    'DELETE FROM api_keys WHERE tenant_id = ?',
    'DELETE FROM tenants WHERE id = ?',
  ],
  collectionIds: 'SELECT id FROM collections WHERE tenant_id = ?',
};

/** Every column but the hash, which nothing reads back. */
const apiKeyColumns = 'id, tenant_id, admin, prefix, name, created_at, last_used_at, expires_at, revoked_at';
/** A key that may authenticate at the time given as the one parameter. */
const activeKey = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)';

export const apiKeySql = {
  insert: `INSERT INTO api_keys (id, tenant_id, key_hash, admin, prefix, name, created_at, expires_at)
    VALUES (@id, @tenantId, @keyHash, @admin, @prefix, @name, @now, @expiresAt) RETURNING ${apiKeyColumns}`,
  findActive: `SELECT ${apiKeyColumns} FROM api_keys WHERE key_hash = ? AND ${activeKey}`,
  byId: `SELECT ${apiKeyColumns} FROM api_keys WHERE id = ?`,
  all: `SELECT ${apiKeyColumns} FROM api_keys ORDER BY id`,
  ofTenant: `SELECT ${apiKeyColumns} FROM api_keys WHERE tenant_id = ? ORDER BY id`,
  otherActiveAdmins: `SELECT count(*) FROM api_keys WHERE admin = 1 AND id != ? AND ${activeKey}`,
  revoke: `UPDATE api_keys SET revoked_at = ? WHERE id = ? RETURNING ${apiKeyColumns}`,
  recordUse: 'UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)',
  count: 'SELECT count(*) FROM api_keys',
};

export const collectionSql = {
  byId: 'SELECT * FROM collections WHERE id = ?',
  byName: 'SELECT * FROM collections WHERE tenant_id = ? AND name = ?',
  insert:
    'INSERT INTO collections (id, tenant_id, name, embedder_name, embedder_model, dimension, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  setPartialSuccess: 'UPDATE collections SET partial_success = ? WHERE id = ?',
  ofTenant: 'SELECT * FROM collections WHERE tenant_id = ? ORDER BY name',
  rename: 'UPDATE collections SET name = ? WHERE tenant_id = ? AND name = ?',
  dropTables: (vectors: string, fullText: string): string =>
    `DROP TABLE IF EXISTS ${vectors}; DROP TABLE IF EXISTS ${fullText};`,
  /** What deleting a collection (the one parameter) deletes, in this order. */
  deleteRows: [
    'DELETE FROM vector_changes WHERE collection_id = ?',
    'DELETE FROM chunks WHERE collection_id = ?',
    'DELETE FROM documents WHERE collection_id = ?',
    // Events name the collection's files: they go with it, not with the next sweep.
    'DELETE FROM events WHERE batch_id IN (SELECT id FROM batches WHERE collection_id = ?)',
    'DELETE FROM batches WHERE collection_id = ?',
    'DELETE FROM collections WHERE id = ?',
  ],
  /** From the counters (`sqlite-usage-counts.ts`), as are the bytes of its distinct raw files. */
  documentsByState:
    'SELECT state, sum(documents) AS n FROM document_counts WHERE collection_id = ? GROUP BY state HAVING n > 0',
  storedBytes: 'SELECT coalesce((SELECT stored_bytes FROM collection_usage WHERE collection_id = ?), 0)',
};

export const batchSql = {
  insert: 'INSERT INTO batches (id, collection_id, label, created_at) VALUES (?, ?, ?, ?)',
  byId: 'SELECT * FROM batches WHERE id = ?',
  latest: 'SELECT * FROM batches ORDER BY id DESC LIMIT ?',
  latestOfTenant:
    'SELECT b.* FROM batches b JOIN collections c ON c.id = b.collection_id WHERE c.tenant_id = ? ORDER BY b.id DESC LIMIT ?',
  stateGroups: `SELECT state, count(*) AS n, sum(chunks_total) AS total, sum(chunks_embedded) AS embedded,
      sum(pages_total) AS pages_total, sum(pages_parsed) AS pages_parsed, sum(${documentWorkSql}) AS work
    FROM documents WHERE batch_id = ? GROUP BY state`,
  /** `stateGroups` of several batches at once (a JSON array of their ids), with each row's batch. */
  stateGroupsOfBatches: `SELECT batch_id, state, count(*) AS n, sum(chunks_total) AS total, sum(chunks_embedded) AS embedded,
      sum(pages_total) AS pages_total, sum(pages_parsed) AS pages_parsed, sum(${documentWorkSql}) AS work
    FROM documents WHERE batch_id IN (SELECT value FROM json_each(?)) GROUP BY batch_id, state`,
};

/**
 * `documentStats`' documents by collection and state and failures by code, of one tenant (`@tenantId`)
 * or all, from the counters (`sqlite-usage-counts.ts`); completions are read from the documents
 * (`documentStatsSql`), those of the window only.
 */
export function countedStatsSql(ofTenant: boolean): { byCollection: string; failures: string } {
  const scope = `FROM document_counts k JOIN collections c ON c.id = k.collection_id WHERE ${ofTenant ? 'c.tenant_id = @tenantId' : '1 = 1'}`;
  return {
    byCollection: `SELECT c.tenant_id, c.id AS collection_id, k.state, sum(k.documents) AS n ${scope}
      GROUP BY c.id, k.state HAVING n > 0`,
    failures: `SELECT c.tenant_id, nullif(k.error_code, '') AS error_code, sum(k.documents) AS n ${scope} AND k.state = 'failed'
      GROUP BY c.tenant_id, k.error_code HAVING n > 0`,
  };
}

/** A `DocumentFilter`'s conditions, by the filter's key; each takes the parameter of that name. */
export const documentFilterSql = {
  collectionId: 'collection_id = @collectionId',
  batchId: 'batch_id = @batchId',
  documentId: 'id = @documentId',
  state: 'state = @state',
  tenantId: 'collection_id IN (SELECT id FROM collections WHERE tenant_id = @tenantId)',
  after: 'id > @after',
};

export const lineSql = {
  attempt: `SELECT collection_id, lines_counted FROM documents WHERE id = ? AND attempt_id = ? AND state NOT IN (${terminalSql})`,
  count: `INSERT INTO collection_lines (collection_id, key, documents) VALUES (?, ?, 1)
    ON CONFLICT (collection_id, key) DO UPDATE SET documents = documents + 1`,
  counted: 'UPDATE documents SET lines_counted = 1 WHERE id = ?',
  pages: "SELECT documents FROM collection_lines WHERE collection_id = ? AND key = ''",
  repeated: `SELECT key FROM collection_lines
    WHERE collection_id = ? AND key IN (SELECT value FROM json_each(?)) AND documents >= ?`,
};

export const documentSql = {
  byId: 'SELECT * FROM documents WHERE id = ?',
  setMetadata: 'UPDATE documents SET metadata = ? WHERE id = ?',
  dropFields: 'DELETE FROM document_fields WHERE document_id = ?',
  insertField:
    'INSERT INTO document_fields (document_id, collection_id, key, text_value, num_value) VALUES (?, ?, ?, ?, ?)',
  setLanguage: `UPDATE documents SET language = ? WHERE id = ? AND attempt_id = ? AND state NOT IN (${terminalSql})`,
  setPages: `UPDATE documents SET pages_parsed = ?, pages_total = ? WHERE id = ? AND attempt_id = ? AND state = 'parsing'`,
  insert: `INSERT INTO documents (id, collection_id, batch_id, source, sha256, size_bytes, state, priority, duplicate_of, created_at, updated_at, completed_at)
    VALUES (@id, @collectionId, @batchId, @source, @sha256, @sizeBytes, @state, @priority, @duplicateOf, @now, @now, @completedAt)`,
  twin: twinOf('?', '?'),
  ofSource: documentOfSource('?', '?'),
  newVersion: `UPDATE documents SET batch_id = @batchId, sha256 = @sha256, size_bytes = @sizeBytes, priority = @priority,
    ${newVersionResets}, updated_at = @now WHERE id = @id AND ${mayEnter('queued')}`,
  insertRejected: `INSERT INTO documents (id, collection_id, batch_id, source, sha256, size_bytes, state, priority, error_code, error_message, created_at, updated_at, completed_at)
    VALUES (?, ?, ?, ?, '', ?, 'failed', ?, ?, ?, ?, ?, ?)`,
  /** Documents matching the conditions (`documentFilterSql`), by id, up to `@limit`. */
  list: (where: readonly string[]): string =>
    `SELECT * FROM documents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT @limit`,
  unfinished: `SELECT * FROM documents WHERE state IN (${unfinishedSql}) ORDER BY priority DESC, id`,
  inFlight: `SELECT * FROM documents INDEXED BY documents_in_flight_by_id WHERE ${inFlightSql} AND id > ? ORDER BY id LIMIT ?`,
  running: `SELECT * FROM documents WHERE state IN (${runningSql}) ORDER BY updated_at`,
  deleteCopiesOf: "DELETE FROM documents INDEXED BY documents_by_original WHERE duplicate_of = ? AND state = 'skipped'",
  /** The events of a document and of its skipped copies (the document id twice): they name its file. */
  deleteEventsOf:
    "DELETE FROM events WHERE document_id = ? OR document_id IN (SELECT id FROM documents WHERE duplicate_of = ? AND state = 'skipped')",
  delete: 'DELETE FROM documents WHERE id = ?',
  countByState: 'SELECT state, sum(documents) AS n FROM document_counts GROUP BY state HAVING n > 0',
  countCompletedSince: `SELECT count(*) FROM documents WHERE state = 'completed' AND completed_at >= ?`,
};

export const dispatchSql = {
  /**
   * Through the partial index of the documents in flight: planned by itself, SQLite read every document
   * of the tenant's collections, and each upload took longer as the backlog grew.
   */
  inFlight: `SELECT count(*) AS n FROM documents d INDEXED BY documents_in_flight JOIN collections c ON c.id = d.collection_id
    WHERE c.tenant_id = ? AND d.dispatched_at IS NOT NULL AND d.state IN (${unfinishedSql})`,
  /** A tenant's waiting documents in dispatch order. */
  awaitingInOrder: awaitingDispatchInOrder('?'),
  /** The first few of them. */
  pick: `SELECT id FROM (${awaitingDispatchInOrder('?')}) LIMIT ?`,
  mark: 'UPDATE documents SET dispatched_at = ?, dispatch_turn = ? WHERE id = ?',
  /** Where a handed-over document stands: by turn, then hand-over time. */
  positionAmongDispatched: `SELECT count(*) + 1 FROM documents
    WHERE state = 'queued' AND dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= @now) AND id != @id
      AND (coalesce(dispatch_turn, 0) < @turn
        OR (coalesce(dispatch_turn, 0) = @turn AND (dispatched_at < @at OR (dispatched_at = @at AND id < @id))))`,
  waiting: `SELECT
      count(*) FILTER (WHERE dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= @now)) AS for_worker,
      min(dispatched_at) FILTER (WHERE dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= @now)) AS for_worker_since,
      count(*) FILTER (WHERE dispatched_at IS NULL) AS for_share,
      min(created_at) FILTER (WHERE dispatched_at IS NULL) AS for_share_since,
      count(*) FILTER (WHERE available_at > @now) AS retrying,
      min(available_at) FILTER (WHERE available_at > @now) AS next_retry
    FROM documents WHERE state = 'queued' AND duplicate_of IS NULL`,
  tenantsAwaiting: `SELECT DISTINCT c.tenant_id FROM documents d JOIN collections c ON c.id = d.collection_id
    WHERE d.dispatched_at IS NULL AND d.state = 'queued' AND d.duplicate_of IS NULL`,
};

/** A move of a running attempt into `to` (see `fencedUpdate`). */
const attemptMove = (to: DocumentState, sets: string): string =>
  fencedUpdate(to, sets, { id: '@id', attemptId: '@attemptId', now: '@now' });
/** The attempt `@attemptId` still runs document `@documentId`. */
const liveAttempt = `id = @documentId AND attempt_id = @attemptId AND state NOT IN (${terminalSql})`;

export const transitionSql = {
  claim: `UPDATE documents SET state = 'parsing', attempts = attempts + 1, attempt_id = @attemptId, available_at = NULL,
      dispatched_at = coalesce(dispatched_at, @now), embedded_batches = '[]', worker_id = @workerId, updated_at = @now, ${attemptResets}
    WHERE id = @documentId AND ${mayEnter('parsing')} AND duplicate_of IS NULL RETURNING *`,
  setStage: (state: DocumentState, withProgress: boolean): string =>
    attemptMove(
      state,
      withProgress
        ? 'state = @state, chunks_total = @chunksTotal, chunks_embedded = @chunksEmbedded'
        : 'state = @state',
    ),
  /** Counts batch `@batch` once per attempt. */
  addEmbedded: `UPDATE documents SET chunks_embedded = chunks_embedded + @count, embedded_batches = json_insert(embedded_batches, '$[#]', @batch),
      updated_at = @now
    WHERE ${liveAttempt} AND NOT EXISTS (SELECT 1 FROM json_each(embedded_batches) WHERE value = @batch)
    RETURNING chunks_total, chunks_embedded`,
  embedded: `SELECT chunks_total, chunks_embedded FROM documents WHERE ${liveAttempt}`,
  fail: attemptMove(
    'failed',
    `state = 'failed', error_code = @code, error_message = @message, available_at = NULL, completed_at = @now`,
  ),
  scheduleRetry: attemptMove(
    'queued',
    `state = 'queued', error_code = @code, error_message = @message, available_at = @availableAt`,
  ),
  cancel: `UPDATE documents SET state = 'cancelled', attempt_id = NULL, completed_at = ?, updated_at = ?
    WHERE id = ? AND ${mayEnter('cancelled')} RETURNING *`,
  /** Documents matching the conditions (`documentFilterSql`, `state` first) queued again; rejected files have no bytes to retry. */
  requeue: (where: readonly string[]): string =>
    `UPDATE documents SET state = 'queued', attempts = 0, attempt_id = NULL, error_code = NULL, error_message = NULL, failed_chunks = NULL,
        available_at = NULL, dispatched_at = NULL, completed_at = NULL, duplicate_of = NULL, updated_at = @now
      WHERE ${where.join(' AND ')} AND sha256 != '' AND ${mayEnter('queued')} RETURNING *`,
};

/** The chunk ids of a collection (the one parameter) written by publishes still in progress. */
export const stagedChunkIds = 'SELECT chunk_id FROM chunk_stage WHERE collection_id = ?';

/** An FTS5 query's published matches, of the documents `scoped` picks where given; the query, the collection id, then its parameters. */
const searchableMatches = (fullText: string, scoped?: string): string =>
  `${fullText} MATCH ? AND rowid NOT IN (${stagedChunkIds})
    ${scoped ? `AND rowid IN (SELECT id FROM chunks WHERE document_id IN (${scoped}))` : ''}`;

/** Which of a full-text query's matches are ranked: see `searchSql.rankFullText`. */
export type FullTextLimit = 'every' | 'newest' | 'newest-and-rare';

export const chunkSql = {
  insert: `INSERT INTO chunks (document_id, collection_id, idx, text, token_count, char_start, char_end, page, embedder, dimension)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertVector: (vectors: string): string => `INSERT INTO ${vectors} (rowid, embedding) VALUES (?, ?)`,
  insertText: (fullText: string): string => `INSERT INTO ${fullText} (rowid, text) VALUES (?, ?)`,
  delete: 'DELETE FROM chunks WHERE id = ?',
  deleteVector: (vectors: string): string => `DELETE FROM ${vectors} WHERE rowid = ?`,
  deleteText: (fullText: string): string => `DELETE FROM ${fullText} WHERE rowid = ?`,
  publishedOf:
    'SELECT id FROM chunks c WHERE document_id = ? AND NOT EXISTS (SELECT 1 FROM chunk_stage s WHERE s.chunk_id = c.id)',
  stage: 'INSERT INTO chunk_stage (chunk_id, collection_id, document_id, token) VALUES (?, ?, ?, ?)',
  stagedByOthers: 'SELECT chunk_id FROM chunk_stage WHERE collection_id = ? AND document_id = ? AND token != ?',
  stagedBy: 'SELECT chunk_id FROM chunk_stage WHERE collection_id = ? AND document_id = ? AND token = ?',
  unstage: 'DELETE FROM chunk_stage WHERE collection_id = ? AND document_id = ? AND token = ?',
};

/** The change log of vectors (`vector_changes`), which searching processes read to keep their scans current. */
export const vectorChangeSql = {
  log: 'INSERT INTO vector_changes (collection_id, chunk_id) VALUES (?, ?)',
  logDocument:
    'INSERT INTO vector_changes (collection_id, chunk_id) SELECT collection_id, id FROM chunks WHERE document_id = ?',
  /** Keeps the latest changes, as many as the one parameter. */
  prune: "DELETE FROM vector_changes WHERE seq <= (SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes') - ?",
  head: "SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes'",
  oldest: 'SELECT min(seq) FROM vector_changes',
  changed: 'SELECT DISTINCT chunk_id FROM vector_changes WHERE collection_id = ? AND seq > ? AND seq <= ?',
};

export const publishSql = {
  /** The document while attempt `?` holds it and may complete it into `to` (core's table: from `indexing`). */
  publishable: (to: DocumentState): string =>
    `SELECT * FROM documents WHERE id = ? AND attempt_id = ? AND ${mayEnter(to)}`,
  complete: `UPDATE documents SET state = @state, media_type = @mediaType, chunks_total = @total, chunks_embedded = @embedded,
      error_code = @code, error_message = @message, failed_chunks = @failed, available_at = NULL, completed_at = @at, updated_at = @at
    WHERE id = @documentId`,
};

export const searchSql = {
  /** The languages detected in a collection's documents (read through `documents_by_language`). */
  languagesOf: languagesOfCollectionSql('@collectionId'),
  /** Every searchable vector of a collection (the one parameter). */
  vectorsToScan: (vectors: string): string =>
    `SELECT rowid, embedding FROM ${vectors} WHERE rowid NOT IN (${stagedChunkIds})`,
  vector: (vectors: string): string => `SELECT embedding FROM ${vectors} WHERE rowid = ?`,
  stagedCount: `SELECT count(*) FROM (${stagedChunkIds})`,
  nearest: (vectors: string): string =>
    `SELECT rowid, distance FROM ${vectors} WHERE embedding MATCH ? AND k = ? ORDER BY distance`,
  /**
   * The best matches by BM25 of an FTS5 query, leaving out staged chunks, and those of documents not
   * among `scoped` (`scopedDocumentsSql`) where given, whose parameters follow the query's and the
   * collection id. Which matches are ranked (`FullTextLimit`): every one; the newest, as many as the
   * next-to-last parameter (FTS5 walks them newest first and stops there); or those from a rowid on
   * and those of a second FTS5 query, the next-to-last parameters.
   */
  rankFullText: (fullText: string, scoped: string | undefined, limit: FullTextLimit): string => {
    const matches = `SELECT rowid, bm25(${fullText}) AS rank FROM ${fullText} WHERE ${searchableMatches(fullText, scoped)}`;
    switch (limit) {
      case 'every':
        return `${matches} ORDER BY rank, rowid LIMIT ?`;
      case 'newest':
        return `SELECT rowid, rank FROM (${matches} ORDER BY rowid DESC LIMIT ?) ORDER BY rank, rowid LIMIT ?`;
      case 'newest-and-rare':
        return `${matches} AND (rowid >= ? OR rowid IN (SELECT rowid FROM ${fullText} WHERE ${fullText} MATCH ?))
          ORDER BY rank, rowid LIMIT ?`;
    }
  },
  /** How many chunks an FTS5 query matches, counted up to a limit (the second parameter). */
  matchesUpTo: (fullText: string): string =>
    `SELECT count(*) FROM (SELECT rowid FROM ${fullText} WHERE ${fullText} MATCH ? LIMIT ?)`,
  /**
   * The rowid of the match that many places (the last parameter) after the newest, of the matches
   * `rankFullText` ranks (its first parameters); none if there are not that many.
   */
  rankFloor: (fullText: string, scoped?: string): string =>
    `SELECT rowid FROM ${fullText} WHERE ${searchableMatches(fullText, scoped)} ORDER BY rowid DESC LIMIT 1 OFFSET ?`,
  /** The published chunks of the documents `scoped` picks; the collection id after its parameters. */
  scopedChunks: (scoped: string): string =>
    `SELECT id FROM chunks WHERE document_id IN (${scoped}) AND id NOT IN (${stagedChunkIds})`,
  /** Chunks by rowid (`count` of them) as hits, leaving out staged ones. */
  hits: (count: number): string =>
    `SELECT ${hitColumns} FROM chunks c JOIN documents d ON d.id = c.document_id
      WHERE NOT EXISTS (SELECT 1 FROM chunk_stage s WHERE s.chunk_id = c.id) AND c.id IN (${Array.from({ length: count }, () => '?').join(',')})`,
  /** Published chunks, from the counters (`sqlite-usage-counts.ts`). */
  countOf: 'SELECT coalesce((SELECT chunks FROM collection_usage WHERE collection_id = ?), 0)',
  countAll: 'SELECT coalesce(sum(chunks), 0) FROM collection_usage',
  /** A document's published chunks from an index on, in order: the document, the first index, the limit. */
  documentChunks: `SELECT ${chunkColumns} FROM chunks c
      WHERE document_id = ? AND idx >= ? AND NOT EXISTS (SELECT 1 FROM chunk_stage s WHERE s.chunk_id = c.id)
      ORDER BY idx LIMIT ?`,
};

export const eventSql = {
  progressOf: 'SELECT chunks_embedded, chunks_total FROM documents WHERE id = ?',
  insert: 'INSERT INTO events (batch_id, document_id, data) VALUES (?, ?, ?)',
  /** Events of a batch or a document (`column` names which) after a sequence number. */
  list: (column: 'batch_id' | 'document_id'): string =>
    `SELECT seq, data FROM events WHERE ${column} = ? AND seq > ? ORDER BY seq LIMIT ?`,
};

export const embeddingCacheSql = {
  get: 'SELECT vector FROM embedding_cache WHERE model = ? AND dimension = ? AND text_sha256 = ?',
  put: 'INSERT OR IGNORE INTO embedding_cache (model, dimension, text_sha256, vector) VALUES (?, ?, ?, ?)',
};

export const workerSql = {
  heartbeat: `INSERT INTO workers (id, host, pid, started_at, last_seen_at) VALUES (@id, @host, @pid, @startedAt, @lastSeenAt)
    ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
  seenSince: 'SELECT * FROM workers WHERE last_seen_at >= ? ORDER BY started_at',
  deleteUnseenSince: 'DELETE FROM workers WHERE last_seen_at < ?',
  delete: 'DELETE FROM workers WHERE id = ?',
};

export const idempotencySql = {
  get: 'SELECT status, body, fingerprint FROM idempotency_keys WHERE tenant_id = ? AND key = ?',
  /** An answer still to be given (status 0), taken with the request's recording. */
  reserve: `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, 0, ?, ?)
    ON CONFLICT DO NOTHING`,
  put: `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (tenant_id, key) DO UPDATE SET status = excluded.status, body = excluded.body
    WHERE idempotency_keys.status = 0 AND idempotency_keys.fingerprint = excluded.fingerprint`,
};

/** Which raw files are still referred to, and holds on them while uploads store them. */
export const blobSql = {
  hold: 'INSERT OR REPLACE INTO blob_holds (hold_id, key, expires_at) VALUES (?, ?, ?)',
  release: 'DELETE FROM blob_holds WHERE hold_id = ?',
  holds: 'SELECT DISTINCT hold_id FROM blob_holds WHERE expires_at > ? ORDER BY hold_id',
  /** Of a JSON array of keys, those no document refers to and no unexpired hold keeps (the time as second parameter). */
  unreferenced: `SELECT k.value FROM json_each(?) k
    WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.sha256 = k.value)
      AND NOT EXISTS (SELECT 1 FROM blob_holds h WHERE h.key = k.value AND h.expires_at > ?)`,
  /** A document and the skipped copies that go with it. */
  ofDocument: "SELECT DISTINCT sha256 FROM documents WHERE (id = ? OR duplicate_of = ?) AND sha256 != ''",
  ofCollection: "SELECT DISTINCT sha256 FROM documents WHERE collection_id = ? AND sha256 != ''",
  ofTenant: `SELECT DISTINCT d.sha256 FROM documents d JOIN collections c ON c.id = d.collection_id
    WHERE c.tenant_id = ? AND d.sha256 != ''`,
};

/**
 * Copies waiting for their original (`@id`), ended as it ended (`settlementOf`). Read through the index
 * of copies by original: planned by itself, SQLite took the index by state, every queued document of a
 * backlog.
 */
export const copySql = {
  skip: `UPDATE documents INDEXED BY documents_by_original SET state = 'skipped', completed_at = @now, updated_at = @now
    WHERE duplicate_of = @id AND state = 'queued' AND ${mayEnter('skipped')} RETURNING *`,
  fail: `UPDATE documents INDEXED BY documents_by_original SET state = 'failed', error_code = @code, error_message = @message, completed_at = @now, updated_at = @now
    WHERE duplicate_of = @id AND state = 'queued' AND ${mayEnter('failed')} RETURNING *`,
  promote: `UPDATE documents SET duplicate_of = NULL, updated_at = @now
    WHERE id = (SELECT min(id) FROM documents INDEXED BY documents_by_original WHERE duplicate_of = @id AND state = 'queued') RETURNING *`,
  repoint:
    "UPDATE documents INDEXED BY documents_by_original SET duplicate_of = @to WHERE duplicate_of = @id AND state = 'queued'",
  stranded: `SELECT DISTINCT c.duplicate_of FROM documents c LEFT JOIN documents o ON o.id = c.duplicate_of
    WHERE c.state = 'queued' AND c.duplicate_of IS NOT NULL AND (o.id IS NULL OR o.state IN (${terminalSql}))`,
};

/** Chunks of running attempts, kept between fan-out and fan-in (see `ChunkStaging`). */
export const stagingSql = {
  isCurrent: 'SELECT 1 FROM documents WHERE id = ? AND attempt_id = ?',
  dropOf: 'DELETE FROM staged_chunks WHERE document_id = ?',
  insert: `INSERT INTO staged_chunks (document_id, attempt_id, chunk_index, text, token_count, char_start, char_end, page)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  range: `SELECT ${stagedColumns} FROM staged_chunks
    WHERE document_id = ? AND attempt_id = ? AND chunk_index >= ? AND chunk_index < ? ORDER BY chunk_index`,
  setVector: 'UPDATE staged_chunks SET vector = ? WHERE document_id = ? AND attempt_id = ? AND chunk_index = ?',
  embedded: `SELECT ${stagedColumns}, vector FROM staged_chunks
    WHERE document_id = ? AND attempt_id = ? AND vector IS NOT NULL ORDER BY chunk_index`,
};

/** Sources and the versions of their objects (see `SourceStore`). */
export const sourceSql = {
  insert: `INSERT INTO sources (id, collection_id, type, url, include, exclude, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (collection_id, url) DO UPDATE SET include = excluded.include, exclude = excluded.exclude`,
  byUrl: 'SELECT * FROM sources WHERE collection_id = ? AND url = ?',
  byId: 'SELECT * FROM sources WHERE id = ?',
  ofCollection: 'SELECT * FROM sources WHERE collection_id = ? ORDER BY created_at, id',
  delete: 'DELETE FROM sources WHERE id = ?',
  claim: `UPDATE sources SET scan = ?, scan_alive_at = ? WHERE id = ?
    AND (scan IS NULL OR json_extract(scan, '$.state') != 'running' OR scan_alive_at < ? OR json_extract(scan, '$.id') = ?)`,
  update: `UPDATE sources SET scan = ?, scan_alive_at = ? WHERE id = ? AND json_extract(scan, '$.id') = ?`,
  unchanged: `UPDATE source_objects SET seen_by = ?
    WHERE source_id = ? AND key = ? AND etag = ? AND size_bytes = ? AND last_modified = ?`,
  record: `INSERT INTO source_objects (source_id, key, etag, size_bytes, last_modified, document_id, seen_by)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (source_id, key) DO UPDATE SET etag = excluded.etag, size_bytes = excluded.size_bytes,
      last_modified = excluded.last_modified, document_id = excluded.document_id, seen_by = excluded.seen_by`,
  see: 'UPDATE source_objects SET seen_by = ? WHERE source_id = ? AND key = ?',
  unseen: `SELECT key, document_id AS documentId FROM source_objects WHERE source_id = ? AND seen_by != ?
    ORDER BY key LIMIT ?`,
  forget: 'DELETE FROM source_objects WHERE source_id = ? AND key = ?',
  documentOf: 'SELECT document_id FROM source_objects WHERE source_id = ? AND key = ?',
  seenCopies: `SELECT o.key, o.etag, o.size_bytes AS sizeBytes, o.last_modified AS lastModified
    FROM source_objects o JOIN documents d ON d.id = o.document_id
    WHERE o.source_id = ? AND o.seen_by = ? AND d.duplicate_of = ? AND d.state = 'skipped'`,
} as const;
