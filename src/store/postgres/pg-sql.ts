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
  pruneStagedSql,
  runningSql,
  stagedColumns,
  terminalSql,
  twinOf,
  unfinishedSql,
} from '../document-sql.js';
import { chunkColumns, hitColumns } from '../store-rows.js';
import { vectorIndexName } from './pg-migrations.js';

/**
 * The PostgreSQL backend's SQL in one place (pg-boss's `plans.js`), one group per role of the store.
 * Statements are constants; the few that need a name or a number inline are functions of it. The
 * document SQL both backends share comes from `document-sql.ts`; the schema is in `pg-migrations.ts`.
 */

export const sessionSql = {
  ping: 'SELECT 1',
  begin: 'BEGIN',
  commit: 'COMMIT',
  rollback: 'ROLLBACK',
} as const;

/** Transaction-scoped advisory locks: by a key of `lockKeys`, by a text's hash, or by a key and a text's hash. */
export const lockSql = {
  key: 'SELECT pg_advisory_xact_lock($1)',
  text: 'SELECT pg_advisory_xact_lock(hashtext($1))',
  keyAndText: 'SELECT pg_advisory_xact_lock($1, hashtext($2))',
} as const;

export const tenantSql = {
  insert: 'INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, now()) ON CONFLICT (name) DO NOTHING',
  byName: 'SELECT * FROM tenants WHERE name = $1',
  byId: 'SELECT * FROM tenants WHERE id = $1',
  setLimits: `UPDATE tenants SET max_in_flight = $2, max_documents = $3, max_bytes = $4, max_chunks = $5 WHERE id = $1 RETURNING *`,
  /**
   * The documents a tenant holds (failed, cancelled and skipped ones hold none), and the bytes of the
   * raw files its documents keep, each file once, whatever its documents' states.
   */
  held: `SELECT
      (SELECT count(*)::int FROM documents d JOIN collections c ON c.id = d.collection_id
        WHERE c.tenant_id = $1 AND d.state NOT IN ('failed', 'cancelled', 'skipped')) AS documents,
      (SELECT coalesce(sum(size_bytes), 0)::bigint FROM (SELECT DISTINCT d.sha256, d.size_bytes FROM documents d
        JOIN collections c ON c.id = d.collection_id WHERE c.tenant_id = $1 AND d.sha256 <> '') held) AS bytes`,
  collectionIds: 'SELECT id FROM collections WHERE tenant_id = $1',
  deleteRows: [
    'DELETE FROM idempotency_keys WHERE tenant_id = $1',
    'DELETE FROM api_keys WHERE tenant_id = $1',
    'DELETE FROM tenants WHERE id = $1',
  ],
  chunks:
    'SELECT count(*)::int AS n FROM chunks ch JOIN collections c ON c.id = ch.collection_id WHERE c.tenant_id = $1',
} as const;

/** Every column but the hash, which nothing reads back. */
const apiKeyColumns = 'id, tenant_id, admin, prefix, name, created_at, last_used_at, expires_at, revoked_at';
/** A key that may authenticate now, by the database's clock (one clock for every API node). */
const activeKey = '(revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()))';

export const apiKeySql = {
  insert: `INSERT INTO api_keys (id, tenant_id, key_hash, admin, prefix, name, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, now(), $7) RETURNING ${apiKeyColumns}`,
  activeByHash: `SELECT ${apiKeyColumns} FROM api_keys WHERE key_hash = $1 AND ${activeKey}`,
  byId: `SELECT ${apiKeyColumns} FROM api_keys WHERE id = $1`,
  all: `SELECT ${apiKeyColumns} FROM api_keys ORDER BY id`,
  ofTenant: `SELECT ${apiKeyColumns} FROM api_keys WHERE tenant_id = $1 ORDER BY id`,
  byIdWithActive: `SELECT ${apiKeyColumns}, ${activeKey} AS active FROM api_keys WHERE id = $1`,
  otherActiveAdmins: `SELECT count(*)::int AS n FROM api_keys WHERE admin AND id <> $1 AND ${activeKey}`,
  revoke: `UPDATE api_keys SET revoked_at = now() WHERE id = $1 RETURNING ${apiKeyColumns}`,
  recordUse:
    'UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now())',
  count: 'SELECT count(*)::int AS n FROM api_keys',
} as const;

export const collectionSql = {
  byName: 'SELECT * FROM collections WHERE tenant_id = $1 AND name = $2',
  byId: 'SELECT * FROM collections WHERE id = $1',
  ofTenant: 'SELECT * FROM collections WHERE tenant_id = $1 ORDER BY name',
  insert: `INSERT INTO collections (id, tenant_id, name, embedder_name, embedder_model, dimension, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (tenant_id, name) DO NOTHING`,
  setPartialSuccess: 'UPDATE collections SET partial_success = $2 WHERE id = $1 RETURNING *',
  rename: 'UPDATE collections SET name = $1 WHERE tenant_id = $2 AND name = $3',
  deleteChunks: 'DELETE FROM chunks WHERE collection_id = $1',
  // Events name the collection's files: they go with it, not with the next sweep.
  deleteEvents: 'DELETE FROM events WHERE batch_id IN (SELECT id FROM batches WHERE collection_id = $1)',
  documentsByState: 'SELECT state, count(*)::int AS n FROM documents WHERE collection_id = $1 GROUP BY state',
  storedBytes: `SELECT coalesce(sum(size_bytes), 0)::bigint AS n FROM (
    SELECT DISTINCT sha256, size_bytes FROM documents WHERE collection_id = $1 AND sha256 <> '') held`,
  delete: 'DELETE FROM collections WHERE id = $1',
  /**
   * The collection's partial HNSW index; vector queries use the same expression (see
   * `chunkIndexSql.nearest`). Built CONCURRENTLY: a plain build holds a lock that stops every
   * collection's publishes while it reads the whole `chunks` table.
   */
  createVectorIndex: (collectionId: string, dimension: number): string =>
    `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${vectorIndexName(collectionId)} ON chunks
           USING hnsw ((embedding::vector(${dimension})) vector_cosine_ops) WHERE collection_id = '${collectionId}'`,
  dropVectorIndex: (collectionId: string): string => `DROP INDEX IF EXISTS ${vectorIndexName(collectionId)}`,
  /** Whether an index of this name is in the current schema. */
  indexExists: `SELECT 1 AS found FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
    WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`,
} as const;

export const batchSql = {
  insert: 'INSERT INTO batches (id, collection_id, label, created_at) VALUES ($1, $2, $3, now()) RETURNING *',
  byId: 'SELECT * FROM batches WHERE id = $1',
  latest: 'SELECT * FROM batches ORDER BY id DESC LIMIT $1',
  latestOfTenant:
    'SELECT b.* FROM batches b JOIN collections c ON c.id = b.collection_id WHERE c.tenant_id = $1 ORDER BY b.id DESC LIMIT $2',
  documentsByState: `SELECT state, count(*)::int AS n, sum(chunks_total)::int AS total, sum(chunks_embedded)::int AS embedded,
             sum(pages_total)::int AS pages_total, sum(pages_parsed)::int AS pages_parsed, sum(${documentWorkSql})::float8 AS work
           FROM documents WHERE batch_id = $1 GROUP BY state`,
  /** `documentsByState` of several batches at once, with each row's batch. */
  documentsByStateOfBatches: `SELECT batch_id, state, count(*)::int AS n, sum(chunks_total)::int AS total, sum(chunks_embedded)::int AS embedded,
             sum(pages_total)::int AS pages_total, sum(pages_parsed)::int AS pages_parsed, sum(${documentWorkSql})::float8 AS work
           FROM documents WHERE batch_id = ANY($1::text[]) GROUP BY batch_id, state`,
} as const;

/** Conditions of `listDocuments`, in the order they are added, each a function of its placeholder. */
const documentFilters = {
  collectionId: (p: string) => `collection_id = ${p}`,
  batchId: (p: string) => `batch_id = ${p}`,
  documentId: (p: string) => `id = ${p}`,
  state: (p: string) => `state = ${p}`,
  tenantId: (p: string) => `collection_id IN (SELECT id FROM collections WHERE tenant_id = ${p})`,
  after: (p: string) => `id > ${p}`,
} as const;

export const lineSql = {
  attempt: `SELECT collection_id, lines_counted FROM documents WHERE id = $1 AND attempt_id = $2 AND state NOT IN (${terminalSql})
    FOR UPDATE`,
  // In key order, so that two pages counted at once lock their rows in the same order.
  count: `INSERT INTO collection_lines (collection_id, key, documents)
    SELECT $1, k, 1 FROM unnest($2::text[]) AS k ORDER BY k
    ON CONFLICT (collection_id, key) DO UPDATE SET documents = collection_lines.documents + 1`,
  counted: 'UPDATE documents SET lines_counted = true WHERE id = $1',
  pages: "SELECT documents AS n FROM collection_lines WHERE collection_id = $1 AND key = ''",
  repeated: 'SELECT key FROM collection_lines WHERE collection_id = $1 AND key = ANY($2::text[]) AND documents >= $3',
} as const;

export const ledgerSql = {
  setMetadata: 'UPDATE documents SET metadata = $2 WHERE id = $1',
  /** Replaces a document's field rows with those given as parallel arrays (`metadataFields`). */
  replaceFields: `WITH dropped AS (DELETE FROM document_fields WHERE document_id = $1)
    INSERT INTO document_fields (document_id, collection_id, key, text_value, num_value)
    SELECT $1, $2, f.key, f.text_value, f.num_value FROM unnest($3::text[], $4::text[], $5::float8[]) AS f(key, text_value, num_value)`,
  setLanguage: `UPDATE documents SET language = $3 WHERE id = $1 AND attempt_id = $2 AND state NOT IN (${terminalSql})`,
  setPages: `UPDATE documents SET pages_parsed = $3, pages_total = $4 WHERE id = $1 AND attempt_id = $2 AND state = 'parsing'`,
  insert: `INSERT INTO documents (id, collection_id, batch_id, source, sha256, size_bytes, state, priority, duplicate_of,
                 created_at, updated_at, completed_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), now(), CASE WHEN $7 = 'skipped' THEN now() END) RETURNING *`,
  // Locked until the registration commits, so that its copy is seen by the original's settlement (`copySql.lockOriginal`).
  twin: `${twinOf('$1', '$2')} FOR SHARE`,
  ofSource: documentOfSource('$1', '$2'),
  newVersion: `UPDATE documents SET batch_id = $2, sha256 = $3, size_bytes = $4, priority = $5, ${newVersionResets},
               updated_at = now() WHERE id = $1 AND ${mayEnter('queued')} RETURNING *`,
  insertRejected: `INSERT INTO documents (id, collection_id, batch_id, source, sha256, size_bytes, state, priority, error_code, error_message,
           created_at, updated_at, completed_at)
         VALUES ($1, $2, $3, $4, '', $5, 'failed', $6, $7, $8, now(), now(), now()) RETURNING *`,
  byId: 'SELECT * FROM documents WHERE id = $1',
  filters: documentFilters,
  list: (where: readonly string[], limit: string): string =>
    `SELECT * FROM documents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ${limit}`,
  unfinished: `SELECT * FROM documents WHERE state IN (${unfinishedSql}) ORDER BY priority DESC, id`,
  inFlight: `SELECT * FROM documents WHERE ${inFlightSql} AND id > $1 ORDER BY id LIMIT $2`,
  running: `SELECT * FROM documents WHERE state IN (${runningSql}) ORDER BY updated_at`,
  /** The events of a document and of its skipped copies: they name its file. */
  deleteEvents:
    "DELETE FROM events WHERE document_id = $1 OR document_id IN (SELECT id FROM documents WHERE duplicate_of = $1 AND state = 'skipped')",
  deleteDuplicates: "DELETE FROM documents WHERE duplicate_of = $1 AND state = 'skipped'",
  delete: 'DELETE FROM documents WHERE id = $1',
  countByState: 'SELECT state, count(*)::int AS n FROM documents GROUP BY state',
  completedSince: `SELECT count(*)::int AS n FROM documents WHERE state = 'completed' AND completed_at >= $1`,
} as const;

export const dispatchSql = {
  inFlight: `SELECT count(*)::int AS n FROM documents d JOIN collections c ON c.id = d.collection_id
               WHERE c.tenant_id = $1 AND d.dispatched_at IS NOT NULL AND d.state IN (${unfinishedSql})`,
  /** A tenant's ($1) waiting documents in dispatch order. */
  awaitingInOrder: awaitingDispatchInOrder('$1'),
  /** The first $2 of them; LIMIT NULL is Postgres's "no limit". */
  take: `${awaitingDispatchInOrder('$1')} LIMIT $2`,
  markDispatched: `UPDATE documents d SET dispatched_at = now(), dispatch_turn = u.turn
             FROM unnest($1::text[], $2::int[]) AS u(id, turn) WHERE d.id = u.id`,
  withTenant: 'SELECT d.*, c.tenant_id FROM documents d JOIN collections c ON c.id = d.collection_id WHERE d.id = $1',
  aheadOfDispatched: `SELECT count(*)::int AS n FROM documents
            WHERE state = 'queued' AND dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= now()) AND id != $1
              AND (coalesce(dispatch_turn, 0) < $2
                OR (coalesce(dispatch_turn, 0) = $2 AND (dispatched_at < $3 OR (dispatched_at = $3 AND id < $1))))`,
  waiting: `SELECT
           count(*) FILTER (WHERE dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= now()))::int AS for_worker,
           min(dispatched_at) FILTER (WHERE dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= now())) AS for_worker_since,
           count(*) FILTER (WHERE dispatched_at IS NULL)::int AS for_share,
           min(created_at) FILTER (WHERE dispatched_at IS NULL) AS for_share_since,
           count(*) FILTER (WHERE available_at > now())::int AS retrying,
           min(available_at) FILTER (WHERE available_at > now()) AS next_retry
         FROM documents WHERE state = 'queued' AND duplicate_of IS NULL`,
  tenantsAwaiting: `SELECT DISTINCT c.tenant_id FROM documents d JOIN collections c ON c.id = d.collection_id
           WHERE d.dispatched_at IS NULL AND d.state = 'queued' AND d.duplicate_of IS NULL`,
} as const;

/** Placeholders of a fenced state change: the document is $1, its attempt $2. */
const fence = { id: '$1', attemptId: '$2', now: 'now()' };

/**
 * Every change of a document's state, each allowed only from where core's table of transitions lets
 * it (`mayEnter`, `fencedUpdate`); the attempt's own changes are fenced by its id on top.
 */
export const transitionSql = {
  claim: `UPDATE documents SET state = 'parsing', attempts = attempts + 1, attempt_id = $2, available_at = NULL,
             dispatched_at = coalesce(dispatched_at, now()), embedded_batches = '{}', worker_id = $3, updated_at = now(),
             ${attemptResets}
           WHERE id = $1 AND ${mayEnter('parsing')} AND duplicate_of IS NULL RETURNING *`,
  /** The state is $3; with progress, the chunk counts are $4 and $5. */
  setStage: (state: DocumentState, withProgress: boolean): string =>
    fencedUpdate(state, withProgress ? 'state = $3, chunks_total = $4, chunks_embedded = $5' : 'state = $3', fence),
  // One statement: the row lock taken by the update orders concurrent batches; a batch already
  // counted (a second delivery) or a stale attempt updates nothing, and the select tells which.
  recordEmbedded: `WITH counted AS (
           UPDATE documents SET chunks_embedded = chunks_embedded + $4, embedded_batches = array_append(embedded_batches, $3::int),
               updated_at = now()
             WHERE id = $1 AND attempt_id = $2 AND state NOT IN (${terminalSql}) AND NOT ($3::int = ANY (embedded_batches))
             RETURNING chunks_total, chunks_embedded)
         SELECT chunks_total, chunks_embedded FROM counted
         UNION ALL
         SELECT chunks_total, chunks_embedded FROM documents
           WHERE id = $1 AND attempt_id = $2 AND state NOT IN (${terminalSql}) AND NOT EXISTS (SELECT 1 FROM counted)`,
  /** The publishing attempt's document, locked, with what its chunks need of the collection. */
  lockForPublish: `SELECT d.*, c.dimension, c.embedder_name || ':' || c.embedder_model AS embedder
               FROM documents d JOIN collections c ON c.id = d.collection_id WHERE d.id = $1 FOR UPDATE OF d`,
  complete: `UPDATE documents SET state = $4, media_type = $2, chunks_total = $5, chunks_embedded = $3, error_code = $6,
             error_message = $7, failed_chunks = $8, available_at = NULL, completed_at = now(), updated_at = now() WHERE id = $1`,
  fail: fencedUpdate(
    'failed',
    `state = 'failed', error_code = $3, error_message = $4, available_at = NULL, completed_at = now()`,
    fence,
  ),
  scheduleRetry: fencedUpdate(
    'queued',
    `state = 'queued', error_code = $3, error_message = $4, available_at = $5`,
    fence,
  ),
  cancel: `UPDATE documents SET state = 'cancelled', attempt_id = NULL, completed_at = now(), updated_at = now()
           WHERE id = $1 AND ${mayEnter('cancelled')} RETURNING *`,
  requeue: `UPDATE documents SET state = 'queued', attempts = 0, attempt_id = NULL, error_code = NULL, error_message = NULL, failed_chunks = NULL,
           available_at = NULL, dispatched_at = NULL, completed_at = NULL, duplicate_of = NULL, updated_at = now()
         WHERE state = $1 AND ${mayEnter('queued')} AND sha256 != '' AND ($2::text IS NULL OR batch_id = $2)
           AND ($3::text IS NULL OR collection_id = $3) AND ($4::text IS NULL OR id = $4)
         RETURNING *`,
} as const;

export const publishSql = {
  deleteChunks: 'DELETE FROM chunks WHERE document_id = $1',
  // One statement per slice: arrays of columns unnested into rows.
  insertChunks: `INSERT INTO chunks (document_id, collection_id, idx, text, token_count, char_start, char_end, page, embedder, dimension, embedding, search_text)
             SELECT $1, $2, u.idx, u.text, u.tokens, u.cs, u.ce, u.page, $3, $4, u.embedding::vector, u.search_text
               FROM unnest($5::int[], $6::text[], $7::int[], $8::int[], $9::int[], $10::int[], $11::text[], $12::text[])
                 AS u(idx, text, tokens, cs, ce, page, embedding, search_text)`,
} as const;

export const eventSql = {
  counts: 'SELECT chunks_embedded, chunks_total FROM documents WHERE id = $1',
  insert: 'INSERT INTO events (batch_id, document_id, data) VALUES ($1, $2, $3) RETURNING seq',
  after: (column: 'batch_id' | 'document_id'): string =>
    `SELECT seq, data FROM events WHERE ${column} = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
} as const;

export const embeddingCacheSql = {
  get: 'SELECT text_sha256, vector FROM embedding_cache WHERE model = $1 AND dimension = $2 AND text_sha256 = ANY($3::text[])',
  put: `INSERT INTO embedding_cache (model, dimension, text_sha256, vector)
         SELECT $1, $2, u.hash, u.vector FROM unnest($3::text[], $4::bytea[]) AS u(hash, vector) ON CONFLICT DO NOTHING`,
} as const;

export const workerSql = {
  heartbeat: `INSERT INTO workers (id, host, pid, started_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
  pruneGone: `DELETE FROM workers WHERE last_seen_at < now() - interval '1 day'`,
  seenSince: 'SELECT * FROM workers WHERE last_seen_at >= $1 ORDER BY started_at',
  remove: 'DELETE FROM workers WHERE id = $1',
} as const;

export const idempotencySql = {
  get: 'SELECT status, body, fingerprint FROM idempotency_keys WHERE tenant_id = $1 AND key = $2',
  /** An answer still to be given (status 0), taken with the request's recording. */
  reserve: `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, body, created_at) VALUES ($1, $2, $3, 0, $4, now())
    ON CONFLICT DO NOTHING`,
  put: `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, body, created_at) VALUES ($1, $2, $3, $4, $5, now())
    ON CONFLICT (tenant_id, key) DO UPDATE SET status = excluded.status, body = excluded.body
    WHERE idempotency_keys.status = 0 AND idempotency_keys.fingerprint = excluded.fingerprint`,
} as const;

/**
 * The k ($2) chunks nearest a vector ($1), of the documents `scoped` picks where given. The same
 * expression as the collection's partial HNSW index, with the id inline, so the planner can match that
 * index; ids are checked by vectorIndexName. `exact`: ordered by the score instead, which no index
 * gives, so every chunk in scope is compared (pgvector before 0.8 stops a filtered index scan early).
 */
function nearestSql(collectionId: string, dimension: number, scoped?: string, exact = false): string {
  vectorIndexName(collectionId);
  const cast = `vector(${dimension})`;
  return `SELECT ${hitColumns}, 1 - (c.embedding::${cast} <=> $1::${cast}) AS score
           FROM chunks c JOIN documents d ON d.id = c.document_id
          WHERE c.collection_id = '${collectionId}' ${scoped ? `AND c.document_id IN (${scoped})` : ''}
          ORDER BY ${exact ? 'score DESC, c.id' : `c.embedding::${cast} <=> $1::${cast}`} LIMIT $2`;
}

export const chunkIndexSql = {
  /** The languages detected in a collection's documents (read through `documents_by_language`). */
  languagesOf: languagesOfCollectionSql('$1'),
  nearest: nearestSql,
  /** `nearest` in a scope, in the exact order: the index's iterative scan may return its rows slightly out of it. */
  nearestScoped: (collectionId: string, dimension: number, scoped: string): string =>
    `WITH hits AS MATERIALIZED (${nearestSql(collectionId, dimension, scoped)}) SELECT * FROM hits ORDER BY score DESC, chunk_id`,
  /** pgvector's version: from 0.8 its HNSW scan goes on until a filtered query has its k rows. */
  vectorVersion: "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
  // Every match is ranked. `ts_rank` weighs how often the terms occur; `ts_rank_cd` (cover
  // density, how near they are) costs more per chunk. Ranked by id first, then the top k joined for
  // their text: a sort holding each match's text read it out of TOAST (both measured in BENCH.md).
  text: (scoped?: string): string => `SELECT ${hitColumns}, r.score
               FROM (SELECT c.id, ts_rank(c.tsv, q) AS score
                       FROM chunks c, to_tsquery('english', $2) q
                      WHERE c.collection_id = $1 AND c.tsv @@ q ${scoped ? `AND c.document_id IN (${scoped})` : ''}
                      ORDER BY score DESC, c.id LIMIT $3) r
               JOIN chunks c ON c.id = r.id JOIN documents d ON d.id = c.document_id
              ORDER BY r.score DESC, c.id`,
  countOfCollection: 'SELECT count(*)::int AS n FROM chunks WHERE collection_id = $1',
  countAll: 'SELECT count(*)::int AS n FROM chunks',
  /** A document's chunks ($1) from an index on ($2), in order, $3 at most. */
  documentChunks: `SELECT ${chunkColumns} FROM chunks WHERE document_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3`,
} as const;

/** Which raw files are still referred to, and holds on them while uploads store them. */
export const blobSql = {
  hold: `INSERT INTO blob_holds (hold_id, key, expires_at)
    SELECT $1, k, now() + make_interval(secs => $3::float8 / 1000) FROM unnest($2::text[]) k
    ON CONFLICT DO NOTHING`,
  release: 'DELETE FROM blob_holds WHERE hold_id = $1',
  holds: 'SELECT DISTINCT hold_id FROM blob_holds WHERE expires_at > now() ORDER BY hold_id',
  /** Of an array of keys, those no document refers to and no unexpired hold keeps. */
  unreferenced: `SELECT k AS key FROM unnest($1::text[]) k
    WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.sha256 = k)
      AND NOT EXISTS (SELECT 1 FROM blob_holds h WHERE h.key = k AND h.expires_at > now())`,
  /** A document and the skipped copies that go with it. */
  ofDocument: "SELECT DISTINCT sha256 AS key FROM documents WHERE (id = $1 OR duplicate_of = $1) AND sha256 <> ''",
  ofCollection: "SELECT DISTINCT sha256 AS key FROM documents WHERE collection_id = $1 AND sha256 <> ''",
  ofTenant: `SELECT DISTINCT d.sha256 AS key FROM documents d JOIN collections c ON c.id = d.collection_id
    WHERE c.tenant_id = $1 AND d.sha256 <> ''`,
} as const;

/** Retention, leases and the sweeps' reports. */
export const housekeepingSql = {
  /** Batches with nothing left to run whose last change is before the cutoff. */
  pruneEvents: `DELETE FROM events WHERE batch_id IN (
    SELECT b.id FROM batches b
     WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.batch_id = b.id AND d.state IN (${unfinishedSql}))
       AND coalesce((SELECT max(d.updated_at) FROM documents d WHERE d.batch_id = b.id), b.created_at) < $1)`,
  /** Events of batches removed since (their collection was deleted). */
  pruneOrphanEvents: `DELETE FROM events WHERE batch_id IN (
    SELECT DISTINCT e.batch_id FROM events e WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = e.batch_id))`,
  pruneBatches: `DELETE FROM batches WHERE created_at < $1
    AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.batch_id = batches.id)`,
  pruneIdempotency: 'DELETE FROM idempotency_keys WHERE created_at < $1',
  pruneHolds: 'DELETE FROM blob_holds WHERE expires_at < now()',
  pruneStaged: pruneStagedSql,
  /** Takes the lease if free, lapsed or the holder's (name, holder, ttl in ms). */
  takeLease: `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3::float8 / 1000))
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE leases.expires_at < now() OR leases.holder = excluded.holder`,
  releaseLease: 'DELETE FROM leases WHERE name = $1 AND holder = $2',
  leaseHolder: 'SELECT holder FROM leases WHERE name = $1 AND expires_at >= now()',
  recordSweep: `INSERT INTO sweeps (name, report, recorded_at) VALUES ('last', $1, now())
    ON CONFLICT (name) DO UPDATE SET report = excluded.report, recorded_at = excluded.recorded_at`,
  lastSweep: "SELECT report FROM sweeps WHERE name = 'last'",
  databaseBytes: 'SELECT pg_database_size(current_database()) AS n',
} as const;

/** Copies waiting for their original ($1), ended as it ended (`settlementOf`). */
export const copySql = {
  skip: `UPDATE documents SET state = 'skipped', completed_at = now(), updated_at = now()
    WHERE duplicate_of = $1 AND state = 'queued' AND ${mayEnter('skipped')} RETURNING *`,
  fail: `UPDATE documents SET state = 'failed', error_code = $2, error_message = $3, completed_at = now(), updated_at = now()
    WHERE duplicate_of = $1 AND state = 'queued' AND ${mayEnter('failed')} RETURNING *`,
  promote: `UPDATE documents SET duplicate_of = NULL, updated_at = now()
    WHERE id = (SELECT min(id) FROM documents WHERE duplicate_of = $1 AND state = 'queued') RETURNING *`,
  repoint: "UPDATE documents SET duplicate_of = $2 WHERE duplicate_of = $1 AND state = 'queued'",
  /** The original, locked, so two settlements of its copies come one after the other. */
  lockOriginal: 'SELECT * FROM documents WHERE id = $1 FOR UPDATE',
  stranded: `SELECT DISTINCT c.duplicate_of AS id FROM documents c LEFT JOIN documents o ON o.id = c.duplicate_of
    WHERE c.state = 'queued' AND c.duplicate_of IS NOT NULL AND (o.id IS NULL OR o.state IN (${terminalSql}))`,
} as const;

/** Chunks of running attempts, kept between fan-out and fan-in (see `ChunkStaging`). */
export const stagingSql = {
  isCurrent: 'SELECT 1 FROM documents WHERE id = $1 AND attempt_id = $2',
  dropOf: 'DELETE FROM staged_chunks WHERE document_id = $1',
  insert: `INSERT INTO staged_chunks (document_id, attempt_id, chunk_index, text, token_count, char_start, char_end, page)
    SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::int[], $6::int[], $7::int[], $8::int[])`,
  range: `SELECT ${stagedColumns} FROM staged_chunks
    WHERE document_id = $1 AND attempt_id = $2 AND chunk_index >= $3 AND chunk_index < $4 ORDER BY chunk_index`,
  setVectors: `UPDATE staged_chunks s SET vector = v.vector FROM unnest($3::int[], $4::bytea[]) AS v(i, vector)
    WHERE s.document_id = $1 AND s.attempt_id = $2 AND s.chunk_index = v.i`,
  embedded: `SELECT ${stagedColumns}, vector FROM staged_chunks
    WHERE document_id = $1 AND attempt_id = $2 AND vector IS NOT NULL ORDER BY chunk_index`,
} as const;

/** Sources and the versions of their objects (see `SourceStore`). */
export const sourceSql = {
  insert: `INSERT INTO sources (id, collection_id, type, url, include, exclude, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, now())
    ON CONFLICT (collection_id, url) DO UPDATE SET include = excluded.include, exclude = excluded.exclude
    RETURNING *, (xmax = 0) AS created`,
  byId: 'SELECT * FROM sources WHERE id = $1',
  ofCollection: 'SELECT * FROM sources WHERE collection_id = $1 ORDER BY created_at, id',
  delete: 'DELETE FROM sources WHERE id = $1',
  claim: `UPDATE sources SET scan = $1, scan_alive_at = now() WHERE id = $2
    AND (scan IS NULL OR scan->>'state' != 'running' OR scan_alive_at < $3 OR scan->>'id' = $4)`,
  update: `UPDATE sources SET scan = $1, scan_alive_at = now() WHERE id = $2 AND scan->>'id' = $3`,
  unchanged: `UPDATE source_objects s SET seen_by = $2
    FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[]) AS o(key, etag, size_bytes, last_modified)
    WHERE s.source_id = $1 AND s.key = o.key AND s.etag = o.etag AND s.size_bytes = o.size_bytes
      AND s.last_modified = o.last_modified
    RETURNING s.key`,
  record: `INSERT INTO source_objects (source_id, key, etag, size_bytes, last_modified, document_id, seen_by)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (source_id, key) DO UPDATE SET etag = excluded.etag, size_bytes = excluded.size_bytes,
      last_modified = excluded.last_modified, document_id = excluded.document_id, seen_by = excluded.seen_by`,
  see: 'UPDATE source_objects SET seen_by = $1 WHERE source_id = $2 AND key = $3',
  unseen: `SELECT key, document_id AS "documentId" FROM source_objects WHERE source_id = $1 AND seen_by != $2
    ORDER BY key LIMIT $3`,
  forget: 'DELETE FROM source_objects WHERE source_id = $1 AND key = $2',
  documentOf: 'SELECT document_id FROM source_objects WHERE source_id = $1 AND key = $2',
  seenCopies: `SELECT o.key, o.etag, o.size_bytes::float8 AS "sizeBytes", o.last_modified AS "lastModified"
    FROM source_objects o JOIN documents d ON d.id = o.document_id
    WHERE o.source_id = $1 AND o.seen_by = $2 AND d.duplicate_of = $3 AND d.state = 'skipped'`,
} as const;
