import pg from 'pg';
import pgvector from 'pgvector';
import { assertSameEmbedder } from '../../core/embedder-pin.js';
import { SluiceError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { runningStates, terminalStates, type DocumentState } from '../../core/states.js';
import type { ApiKeyRecord, Collection, SearchHit } from '../../core/types.js';
import type { SluiceEvent } from '../../ports/event-bus.js';
import type { DocumentFilter, IdempotentResponse, RegisterOutcome, RevokeApiKeyOutcome, Store } from '../../ports/store.js';
import {
  hitColumns,
  toBatch,
  toBatchProgress,
  toSearchHit,
  type HitRow,
  type StateGroupRow,
  toCollection,
  toDocument,
  toTenant,
  type BatchRow,
  type CollectionRow,
  type DocumentRow,
  type TenantRow,
  toWaitingSummary,
  type WaitingRow,
  withCounts,
} from '../store-rows.js';
import { lockKeys, migrate, vectorIndexName } from './pg-migrations.js';
import { dispatchSlots, largestFirst } from '../dispatch-slots.js';
import { toTsQuery } from './pg-text-query.js';
import { appendUnseen, needsAnyTermPass, searchTerms, type TermMatch } from '../text-match.js';

export interface PgStoreOptions {
  /** A `postgres://` URL of a database with the pgvector extension available. */
  connectionString: string;
  /** @defaultValue 10 */
  maxConnections?: number;
}

const terminal = terminalStates.map((s) => `'${s}'`).join(', ');
const unfinished = ['queued', ...runningStates].map((s) => `'${s}'`).join(', ');
const running = runningStates.map((s) => `'${s}'`).join(', ');
/**
 * A tenant's ($1) documents waiting for dispatch, in the order dispatch takes them. A document's turn
 * is its place in its batch counting those already handed over, so batches advance evenly and a new
 * batch starts at the front; within a batch the largest files go first (see `largestFirst`).
 */
const awaitingDispatchInOrder = `SELECT id FROM (
    SELECT id, priority, dispatched_at, state, row_number() OVER (PARTITION BY batch_id, priority ORDER BY ${largestFirst}) AS turn
      FROM documents WHERE batch_id IN (
        SELECT d.batch_id FROM documents d JOIN collections c ON c.id = d.collection_id
         WHERE c.tenant_id = $1 AND d.dispatched_at IS NULL AND d.state = 'queued')) placed
  WHERE dispatched_at IS NULL AND state = 'queued'
  ORDER BY priority DESC, turn, id`;
interface ApiKeyRow {
  id: string;
  tenant_id: string;
  admin: boolean;
  prefix: string | null;
  name: string | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}
/** Every column but the hash, which nothing reads back. */
const apiKeyColumns = 'id, tenant_id, admin, prefix, name, created_at, last_used_at, expires_at, revoked_at';
/** A key that may authenticate now, by the database's clock (one clock for every API node). */
const activeKey = '(revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()))';

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    admin: row.admin,
    prefix: row.prefix,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

/** Rows written per INSERT when publishing chunks: large enough to amortise round trips, small enough for the protocol. */
const chunkInsertBatch = 500;

// Timestamps travel as ISO text, as the domain types and the SQLite backend have them; 64-bit
// integers (sizes, sequence numbers, chunk ids) fit well within a double here.
const typeParsers: Record<number, (value: string) => unknown> = {
  [pg.types.builtins.TIMESTAMPTZ]: (value) => new Date(value).toISOString(),
  [pg.types.builtins.INT8]: (value) => Number(value),
};
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    typeParsers[oid] ?? (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};


/**
 * The distributed store: ledger, chunks, vectors (pgvector, HNSW per collection) and full text
 * (tsvector + GIN) in PostgreSQL. Every state change is one statement or one transaction, fenced by
 * the attempt id, so any number of API nodes and workers can share it.
 */
export async function createPgStore(options: PgStoreOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10, types });
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on('error', () => undefined);
  await migrate(pool);

  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> =>
    (await pool.query<R>(sql, params)).rows;
  const one = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R | undefined> =>
    (await query<R>(sql, params))[0];
  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    (await query<{ n: number }>(sql, params))[0]?.n ?? 0;

  /** Runs `work` in one transaction on one connection; never touch the pool inside it. */
  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };

  const fencedUpdate = (sets: string): string =>
    `UPDATE documents SET ${sets}, updated_at = now() WHERE id = $1 AND attempt_id = $2 AND state NOT IN (${terminal})`;
  const changed = (result: pg.QueryResult): boolean => result.rowCount === 1;

  const collectionByName = async (tenantId: string, name: string): Promise<Collection | undefined> => {
    const row = await one<CollectionRow>('SELECT * FROM collections WHERE tenant_id = $1 AND name = $2', [
      tenantId,
      name,
    ]);
    return row && toCollection(row);
  };

  const store: Store = {
    async ping() {
      await pool.query('SELECT 1');
    },

    async ensureTenant(name) {
      await pool.query('INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, now()) ON CONFLICT (name) DO NOTHING', [
        newId('ten'),
        name,
      ]);
      return toTenant((await one<TenantRow>('SELECT * FROM tenants WHERE name = $1', [name])) as TenantRow);
    },
    async getTenant(id) {
      const row = await one<TenantRow>('SELECT * FROM tenants WHERE id = $1', [id]);
      return row && toTenant(row);
    },
    async setTenantLimits(id, limits) {
      const row = await one<TenantRow>(
        `UPDATE tenants SET max_in_flight = $2, max_documents = $3, max_bytes = $4, max_chunks = $5 WHERE id = $1 RETURNING *`,
        [id, limits.maxInFlight, limits.maxDocuments, limits.maxBytes, limits.maxChunks],
      );
      return row && toTenant(row);
    },
    async getTenantUsage(id) {
      const held = (await one<{ documents: number; bytes: number }>(
        `SELECT count(*)::int AS documents, coalesce(sum(d.size_bytes), 0)::bigint AS bytes
           FROM documents d JOIN collections c ON c.id = d.collection_id
          WHERE c.tenant_id = $1 AND d.state NOT IN ('failed', 'cancelled', 'skipped')`,
        [id],
      )) as { documents: number; bytes: number };
      const chunks = await count(
        'SELECT count(*)::int AS n FROM chunks ch JOIN collections c ON c.id = ch.collection_id WHERE c.tenant_id = $1',
        [id],
      );
      return { ...held, chunks };
    },
    async createApiKey(input) {
      const row = await one<ApiKeyRow>(
        `INSERT INTO api_keys (id, tenant_id, key_hash, admin, prefix, name, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, now(), $7) RETURNING ${apiKeyColumns}`,
        [newId('key'), input.tenantId, input.keyHash, input.admin, input.prefix, input.name ?? null, input.expiresAt ?? null],
      );
      return toApiKey(row as ApiKeyRow);
    },
    async findApiKey(keyHash) {
      const row = await one<ApiKeyRow>(`SELECT ${apiKeyColumns} FROM api_keys WHERE key_hash = $1 AND ${activeKey}`, [keyHash]);
      return row && toApiKey(row);
    },
    async getApiKey(id) {
      const row = await one<ApiKeyRow>(`SELECT ${apiKeyColumns} FROM api_keys WHERE id = $1`, [id]);
      return row && toApiKey(row);
    },
    async listApiKeys(tenantId) {
      const rows =
        tenantId === undefined
          ? await query<ApiKeyRow>(`SELECT ${apiKeyColumns} FROM api_keys ORDER BY id`)
          : await query<ApiKeyRow>(`SELECT ${apiKeyColumns} FROM api_keys WHERE tenant_id = $1 ORDER BY id`, [tenantId]);
      return rows.map(toApiKey);
    },
    revokeApiKey(id, options = {}) {
      return transaction(async (client): Promise<RevokeApiKeyOutcome | undefined> => {
        // Revocations go one at a time, so that two of them cannot each see the other's key as the
        // admin key that remains. Each statement below then reads what the one before committed.
        await client.query('SELECT pg_advisory_xact_lock($1)', [lockKeys.apiKeys]);
        const row = (
          await client.query<ApiKeyRow & { active: boolean }>(
            `SELECT ${apiKeyColumns}, ${activeKey} AS active FROM api_keys WHERE id = $1`,
            [id],
          )
        ).rows[0];
        if (!row) {
          return undefined;
        }
        if (row.revoked_at !== null) {
          return { kind: 'already_revoked', key: toApiKey(row) };
        }
        if (options.keepAnAdmin === true && row.admin && row.active) {
          const others = await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM api_keys WHERE admin AND id <> $1 AND ${activeKey}`,
            [id],
          );
          if ((others.rows[0]?.n ?? 0) === 0) {
            return { kind: 'last_admin', key: toApiKey(row) };
          }
        }
        const revoked = await client.query<ApiKeyRow>(
          `UPDATE api_keys SET revoked_at = now() WHERE id = $1 RETURNING ${apiKeyColumns}`,
          [id],
        );
        return { kind: 'revoked', key: toApiKey(revoked.rows[0] as ApiKeyRow) };
      });
    },
    async recordApiKeyUse(id) {
      await pool.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now())', [id]);
    },
    countApiKeys: () => count('SELECT count(*)::int AS n FROM api_keys'),

    async ensureCollection(tenantId, name, embedder) {
      const existing = await collectionByName(tenantId, name);
      if (existing) {
        assertSameEmbedder(existing, embedder);
        return existing;
      }
      await pool.query(
        `INSERT INTO collections (id, tenant_id, name, embedder_name, embedder_model, dimension, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (tenant_id, name) DO NOTHING`,
        [newId('col'), tenantId, name, embedder.name, embedder.model, embedder.dimension],
      );
      // Another process may have won the race with another embedder: the pin check applies to it too.
      const collection = (await collectionByName(tenantId, name)) as Collection;
      assertSameEmbedder(collection, embedder);
      const dimension = Number(collection.embedder.dimension);
      await pool.query(
        `CREATE INDEX IF NOT EXISTS ${vectorIndexName(collection.id)} ON chunks
           USING hnsw ((embedding::vector(${dimension})) vector_cosine_ops) WHERE collection_id = '${collection.id}'`,
      );
      return collection;
    },
    getCollectionByName: collectionByName,
    async setCollectionPartialSuccess(id, partialSuccess) {
      const row = await one<CollectionRow>('UPDATE collections SET partial_success = $2 WHERE id = $1 RETURNING *', [id, partialSuccess]);
      return row && toCollection(row);
    },
    async getCollection(id) {
      const row = await one<CollectionRow>('SELECT * FROM collections WHERE id = $1', [id]);
      return row && toCollection(row);
    },
    async listCollections(tenantId) {
      return (await query<CollectionRow>('SELECT * FROM collections WHERE tenant_id = $1 ORDER BY name', [tenantId])).map(
        toCollection,
      );
    },
    async swapCollectionNames(tenantId, a, b) {
      await transaction(async (client) => {
        const rename = 'UPDATE collections SET name = $1 WHERE tenant_id = $2 AND name = $3';
        const parking = `~swap-${newId('tmp')}`;
        await client.query(rename, [parking, tenantId, a]);
        await client.query(rename, [a, tenantId, b]);
        await client.query(rename, [b, tenantId, parking]);
      });
    },
    async deleteCollection(id) {
      const deleted = await transaction(async (client) => {
        await client.query('DELETE FROM chunks WHERE collection_id = $1', [id]);
        // Documents and batches go with the collection through their foreign keys.
        return changed(await client.query('DELETE FROM collections WHERE id = $1', [id]));
      });
      if (deleted) {
        await pool.query(`DROP INDEX IF EXISTS ${vectorIndexName(id)}`);
      }
      return deleted;
    },

    async createBatch(collectionId, label) {
      const row = await one<BatchRow>(
        'INSERT INTO batches (id, collection_id, label, created_at) VALUES ($1, $2, $3, now()) RETURNING *',
        [newId('bat'), collectionId, label],
      );
      return toBatch(row as BatchRow);
    },
    async getBatch(id) {
      const row = await one<BatchRow>('SELECT * FROM batches WHERE id = $1', [id]);
      return row && toBatch(row);
    },
    async listBatches(limit, tenantId) {
      const rows =
        tenantId === undefined
          ? await query<BatchRow>('SELECT * FROM batches ORDER BY id DESC LIMIT $1', [limit])
          : await query<BatchRow>(
              'SELECT b.* FROM batches b JOIN collections c ON c.id = b.collection_id WHERE c.tenant_id = $1 ORDER BY b.id DESC LIMIT $2',
              [tenantId, limit],
            );
      return rows.map(toBatch);
    },
    async getBatchProgress(id) {
      const row = await one<BatchRow>('SELECT * FROM batches WHERE id = $1', [id]);
      if (!row) {
        return undefined;
      }
      const groups = await query<StateGroupRow>(
        `SELECT state, count(*)::int AS n, sum(chunks_total)::int AS total, sum(chunks_embedded)::int AS embedded
           FROM documents WHERE batch_id = $1 GROUP BY state`,
        [id],
      );
      return toBatchProgress(row, groups);
    },

    registerDocument(input) {
      const priority = input.priority ?? 0;
      return transaction(async (client): Promise<RegisterOutcome> => {
        // Registrations into one collection are serialised, so two API nodes receiving the same bytes
        // at once still end with one document and one duplicate.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [input.collectionId]);
        const insert = async (state: 'queued' | 'skipped', duplicateOf: string | null): Promise<DocumentRow> =>
          (
            await client.query<DocumentRow>(
              `INSERT INTO documents (id, collection_id, batch_id, source, sha256, size_bytes, state, priority, duplicate_of,
                 created_at, updated_at, completed_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), now(), CASE WHEN $7 = 'skipped' THEN now() END) RETURNING *`,
              [newId('doc'), input.collectionId, input.batchId, input.source, input.sha256, input.sizeBytes, state, priority, duplicateOf],
            )
          ).rows[0] as DocumentRow;
        const twin = (
          await client.query<DocumentRow>(
            `SELECT * FROM documents WHERE collection_id = $1 AND sha256 = $2 AND state NOT IN ('failed', 'cancelled', 'skipped')
               ORDER BY (state = 'completed') DESC, id LIMIT 1`,
            [input.collectionId, input.sha256],
          )
        ).rows[0];
        if (twin) {
          if (twin.source === input.source && twin.state !== 'completed') {
            return { kind: 'pending', document: toDocument(twin) };
          }
          return { kind: 'skipped', document: toDocument(await insert('skipped', twin.id)) };
        }
        // A new version of a known source takes over its document: the old chunks stay searchable until
        // the new ones are published in one transaction, and any attempt still running is fenced out.
        const previous = (
          await client.query<DocumentRow>(
            `SELECT * FROM documents WHERE collection_id = $1 AND source = $2 AND state != 'skipped' ORDER BY id DESC LIMIT 1`,
            [input.collectionId, input.source],
          )
        ).rows[0];
        if (previous) {
          const updated = await client.query<DocumentRow>(
            `UPDATE documents SET batch_id = $2, sha256 = $3, size_bytes = $4, state = 'queued', priority = $5, attempts = 0,
               attempt_id = NULL, error_code = NULL, error_message = NULL, chunks_total = 0, chunks_embedded = 0,
               available_at = NULL, dispatched_at = NULL, completed_at = NULL, updated_at = now() WHERE id = $1 RETURNING *`,
            [previous.id, input.batchId, input.sha256, input.sizeBytes, priority],
          );
          return { kind: 'queued', document: toDocument(updated.rows[0] as DocumentRow) };
        }
        return { kind: 'queued', document: toDocument(await insert('queued', null)) };
      });
    },
    async recordRejected(input) {
      const row = await one<DocumentRow>(
        `INSERT INTO documents (id, collection_id, batch_id, source, sha256, size_bytes, state, priority, error_code, error_message,
           created_at, updated_at, completed_at)
         VALUES ($1, $2, $3, $4, '', $5, 'failed', $6, $7, $8, now(), now(), now()) RETURNING *`,
        [newId('doc'), input.collectionId, input.batchId, input.source, input.sizeBytes, input.priority ?? 0, input.code, input.message],
      );
      return toDocument(row as DocumentRow);
    },
    async getDocument(id) {
      const row = await one<DocumentRow>('SELECT * FROM documents WHERE id = $1', [id]);
      return row && toDocument(row);
    },
    async listDocuments(filter: DocumentFilter) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (condition: (placeholder: string) => string, value: unknown): void => {
        params.push(value);
        where.push(condition(`$${params.length}`));
      };
      for (const [column, key] of [
        ['collection_id', 'collectionId'],
        ['batch_id', 'batchId'],
        ['id', 'documentId'],
        ['state', 'state'],
      ] as const) {
        if (filter[key] !== undefined) {
          add((p) => `${column} = ${p}`, filter[key]);
        }
      }
      if (filter.tenantId !== undefined) {
        add((p) => `collection_id IN (SELECT id FROM collections WHERE tenant_id = ${p})`, filter.tenantId);
      }
      if (filter.after !== undefined) {
        add((p) => `id > ${p}`, filter.after);
      }
      params.push(filter.limit ?? 100);
      const sql = `SELECT * FROM documents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.length}`;
      return (await query<DocumentRow>(sql, params)).map(toDocument);
    },
    async listUnfinished() {
      return (await query<DocumentRow>(`SELECT * FROM documents WHERE state IN (${unfinished}) ORDER BY priority DESC, id`)).map(
        toDocument,
      );
    },
    dispatch(tenantId, options) {
      return transaction(async (client) => {
        // Dispatches for one tenant are serialised, so two workers finishing at once cannot overfill it.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [lockKeys.dispatch, tenantId]);
        const inFlight = (
          await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM documents d JOIN collections c ON c.id = d.collection_id
               WHERE c.tenant_id = $1 AND d.dispatched_at IS NOT NULL AND d.state IN (${unfinished})`,
            [tenantId],
          )
        ).rows[0]!.n;
        const slots = dispatchSlots(options.maxInFlight, inFlight, options.minFree ?? 1);
        if (slots === 0) {
          return [];
        }
        // LIMIT NULL is Postgres's "no limit".
        const picked = (await client.query<{ id: string }>(`${awaitingDispatchInOrder} LIMIT $2`, [tenantId, slots])).rows.map((r) => r.id);
        await client.query(
          `UPDATE documents d SET dispatched_at = now(), dispatch_turn = u.turn
             FROM unnest($1::text[], $2::int[]) AS u(id, turn) WHERE d.id = u.id`,
          [picked, picked.map((_, i) => inFlight + i)],
        );
        return picked.map((documentId, i) => ({ documentId, turn: inFlight + i }));
      });
    },
    async queuePosition(documentId) {
      const doc = await one<DocumentRow & { tenant_id: string }>(
        'SELECT d.*, c.tenant_id FROM documents d JOIN collections c ON c.id = d.collection_id WHERE d.id = $1',
        [documentId],
      );
      if (!doc || doc.state !== 'queued' || (doc.available_at && Date.parse(doc.available_at) > Date.now())) {
        return undefined;
      }
      if (doc.dispatched_at === null) {
        const ordered = (await query<{ id: string }>(awaitingDispatchInOrder, [doc.tenant_id])).map((r) => r.id);
        const index = ordered.indexOf(documentId);
        return index < 0 ? undefined : index + 1;
      }
      return (
        (await count(
          `SELECT count(*)::int AS n FROM documents
            WHERE state = 'queued' AND dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= now()) AND id != $1
              AND (coalesce(dispatch_turn, 0) < $2
                OR (coalesce(dispatch_turn, 0) = $2 AND (dispatched_at < $3 OR (dispatched_at = $3 AND id < $1))))`,
          [documentId, doc.dispatch_turn ?? 0, doc.dispatched_at],
        )) + 1
      );
    },
    async listRunning() {
      return (await query<DocumentRow>(`SELECT * FROM documents WHERE state IN (${running}) ORDER BY updated_at`)).map(toDocument);
    },
    async summarizeWaiting() {
      const row = (await one<WaitingRow>(
        `SELECT
           count(*) FILTER (WHERE dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= now()))::int AS for_worker,
           min(dispatched_at) FILTER (WHERE dispatched_at IS NOT NULL AND (available_at IS NULL OR available_at <= now())) AS for_worker_since,
           count(*) FILTER (WHERE dispatched_at IS NULL)::int AS for_share,
           min(created_at) FILTER (WHERE dispatched_at IS NULL) AS for_share_since,
           count(*) FILTER (WHERE available_at > now())::int AS retrying,
           min(available_at) FILTER (WHERE available_at > now()) AS next_retry
         FROM documents WHERE state = 'queued'`,
      )) as WaitingRow;
      return toWaitingSummary(row);
    },
    listTenantsAwaitingDispatch() {
      return query<{ tenant_id: string }>(
        `SELECT DISTINCT c.tenant_id FROM documents d JOIN collections c ON c.id = d.collection_id
           WHERE d.dispatched_at IS NULL AND d.state = 'queued'`,
      ).then((rows) => rows.map((r) => r.tenant_id));
    },

    async claim(documentId, attemptId, workerId) {
      const row = await one<DocumentRow>(
        `UPDATE documents SET state = 'parsing', attempts = attempts + 1, attempt_id = $2, available_at = NULL,
             dispatched_at = coalesce(dispatched_at, now()), embedded_batches = '{}', worker_id = $3, updated_at = now()
           WHERE id = $1 AND state NOT IN (${terminal}) RETURNING *`,
        [documentId, attemptId, workerId ?? null],
      );
      return row && toDocument(row);
    },
    async setStage(documentId, attemptId, state, progress) {
      const result = progress
        ? await pool.query(fencedUpdate('state = $3, chunks_total = $4, chunks_embedded = $5'), [
            documentId,
            attemptId,
            state,
            progress.chunksTotal,
            progress.chunksEmbedded,
          ])
        : await pool.query(fencedUpdate('state = $3'), [documentId, attemptId, state]);
      return changed(result);
    },
    async recordEmbedded(documentId, attemptId, batch, count) {
      // One statement: the row lock taken by the update orders concurrent batches; a batch already
      // counted (a second delivery) or a stale attempt updates nothing, and the select tells which.
      const row = await one<{ chunks_total: number; chunks_embedded: number }>(
        `WITH counted AS (
           UPDATE documents SET chunks_embedded = chunks_embedded + $4, embedded_batches = array_append(embedded_batches, $3::int),
               updated_at = now()
             WHERE id = $1 AND attempt_id = $2 AND state NOT IN (${terminal}) AND NOT ($3::int = ANY (embedded_batches))
             RETURNING chunks_total, chunks_embedded)
         SELECT chunks_total, chunks_embedded FROM counted
         UNION ALL
         SELECT chunks_total, chunks_embedded FROM documents
           WHERE id = $1 AND attempt_id = $2 AND state NOT IN (${terminal}) AND NOT EXISTS (SELECT 1 FROM counted)`,
        [documentId, attemptId, batch, count],
      );
      return row && { chunksTotal: row.chunks_total, chunksEmbedded: row.chunks_embedded };
    },
    complete(documentId, attemptId, mediaType, chunks, partial) {
      return transaction(async (client) => {
        // The row lock orders this publish against a concurrent claim, cancel or newer version.
        const row = (
          await client.query<DocumentRow & { dimension: number; embedder: string }>(
            `SELECT d.*, c.dimension, c.embedder_name || ':' || c.embedder_model AS embedder
               FROM documents d JOIN collections c ON c.id = d.collection_id WHERE d.id = $1 FOR UPDATE OF d`,
            [documentId],
          )
        ).rows[0];
        if (!row || row.attempt_id !== attemptId || terminalStates.includes(row.state as DocumentState)) {
          return false;
        }
        await client.query('DELETE FROM chunks WHERE document_id = $1', [documentId]);
        for (let start = 0; start < chunks.length; start += chunkInsertBatch) {
          const slice = chunks.slice(start, start + chunkInsertBatch);
          for (const chunk of slice) {
            if (chunk.vector.length !== row.dimension) {
              throw new SluiceError(
                'embedder_mismatch',
                `A vector of ${chunk.vector.length} dimensions cannot go into a collection of ${row.dimension}`,
              );
            }
          }
          // One statement per slice: arrays of columns unnested into rows.
          await client.query(
            `INSERT INTO chunks (document_id, collection_id, idx, text, token_count, char_start, char_end, page, embedder, dimension, embedding)
             SELECT $1, $2, u.idx, u.text, u.tokens, u.cs, u.ce, u.page, $3, $4, u.embedding::vector
               FROM unnest($5::int[], $6::text[], $7::int[], $8::int[], $9::int[], $10::int[], $11::text[])
                 AS u(idx, text, tokens, cs, ce, page, embedding)`,
            [
              documentId,
              row.collection_id,
              row.embedder,
              row.dimension,
              slice.map((c) => c.index),
              slice.map((c) => c.text),
              slice.map((c) => c.tokenCount),
              slice.map((c) => c.charStart),
              slice.map((c) => c.charEnd),
              slice.map((c) => c.page),
              slice.map((c) => pgvector.toSql(Array.from(c.vector)) as string),
            ],
          );
        }
        await client.query(
          `UPDATE documents SET state = $4, media_type = $2, chunks_total = $5, chunks_embedded = $3, error_code = $6,
             error_message = $7, failed_chunks = $8, available_at = NULL, completed_at = now(), updated_at = now() WHERE id = $1`,
          [
            documentId,
            mediaType,
            chunks.length,
            partial ? 'completed_with_errors' : 'completed',
            partial?.chunksTotal ?? chunks.length,
            partial?.code ?? null,
            partial?.message ?? null,
            partial?.failedChunks ?? null,
          ],
        );
        return true;
      });
    },
    async fail(documentId, attemptId, code, message) {
      return changed(
        await pool.query(
          fencedUpdate(`state = 'failed', error_code = $3, error_message = $4, available_at = NULL, completed_at = now()`),
          [documentId, attemptId, code, message],
        ),
      );
    },
    async scheduleRetry(documentId, attemptId, code, message, availableAt) {
      return changed(
        await pool.query(fencedUpdate(`state = 'queued', error_code = $3, error_message = $4, available_at = $5`), [
          documentId,
          attemptId,
          code,
          message,
          availableAt,
        ]),
      );
    },
    async cancel(documentId) {
      const row = await one<DocumentRow>(
        `UPDATE documents SET state = 'cancelled', attempt_id = NULL, completed_at = now(), updated_at = now()
           WHERE id = $1 AND state NOT IN (${terminal}) RETURNING *`,
        [documentId],
      );
      return row && toDocument(row);
    },
    async requeue(filter) {
      const rows = await query<DocumentRow>(
        `UPDATE documents SET state = 'queued', attempts = 0, attempt_id = NULL, error_code = NULL, error_message = NULL, failed_chunks = NULL,
           available_at = NULL, dispatched_at = NULL, completed_at = NULL, updated_at = now()
         WHERE state = $1 AND sha256 != '' AND ($2::text IS NULL OR batch_id = $2) AND ($3::text IS NULL OR collection_id = $3)
           AND ($4::text IS NULL OR id = $4)
         RETURNING *`,
        [filter.state, filter.batchId ?? null, filter.collectionId ?? null, filter.documentId ?? null],
      );
      return rows.map(toDocument).sort((a, b) => a.id.localeCompare(b.id));
    },

    deleteDocument(documentId) {
      return transaction(async (client) => {
        // Skipped copies point at this document; they go with it rather than point at nothing.
        await client.query('DELETE FROM documents WHERE duplicate_of = $1', [documentId]);
        // Chunks go through their foreign key.
        return changed(await client.query('DELETE FROM documents WHERE id = $1', [documentId]));
      });
    },
    async countDocumentsByState() {
      const rows = await query<{ state: DocumentState; n: number }>(
        'SELECT state, count(*)::int AS n FROM documents GROUP BY state',
      );
      return Object.fromEntries(rows.map((r) => [r.state, r.n]));
    },

    countCompletedSince: (since) =>
      count(`SELECT count(*)::int AS n FROM documents WHERE state = 'completed' AND completed_at >= $1`, [since]),

    appendEvent(event) {
      // Appends are serialised: a sequence number is taken and committed before the next is taken, so
      // a reader that has seen seq n never later finds a smaller one committed behind it.
      return transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [lockKeys.events]);
        let logged = event;
        if (event.type === 'document.progress') {
          const counts = await client.query<{ chunks_embedded: number; chunks_total: number | null }>(
            'SELECT chunks_embedded, chunks_total FROM documents WHERE id = $1',
            [event.documentId],
          );
          logged = withCounts(event, counts.rows[0]);
        }
        const { rows } = await client.query<{ seq: number }>(
          'INSERT INTO events (batch_id, document_id, data) VALUES ($1, $2, $3) RETURNING seq',
          [logged.batchId, logged.documentId, JSON.stringify(logged)],
        );
        return { ...logged, seq: (rows[0] as { seq: number }).seq };
      });
    },
    async listEvents({ batchId, documentId, afterSeq, limit }) {
      const [column, value] = batchId !== undefined ? ['batch_id', batchId] : ['document_id', documentId ?? ''];
      const rows = await query<{ seq: number; data: SluiceEvent }>(
        `SELECT seq, data FROM events WHERE ${column} = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [value, afterSeq, limit],
      );
      return rows.map((row) => ({ ...row.data, seq: row.seq }));
    },

    async getCachedEmbeddings(model, dimension, textHashes) {
      const rows = await query<{ text_sha256: string; vector: Buffer }>(
        'SELECT text_sha256, vector FROM embedding_cache WHERE model = $1 AND dimension = $2 AND text_sha256 = ANY($3::text[])',
        [model, dimension, textHashes],
      );
      // Copy out of the driver's buffer, which is not guaranteed to be aligned for Float32Array.
      return new Map(rows.map((r) => [r.text_sha256, new Float32Array(new Uint8Array(r.vector).buffer)]));
    },
    async putCachedEmbeddings(model, dimension, entries) {
      if (entries.length === 0) {
        return;
      }
      await pool.query(
        `INSERT INTO embedding_cache (model, dimension, text_sha256, vector)
         SELECT $1, $2, u.hash, u.vector FROM unnest($3::text[], $4::bytea[]) AS u(hash, vector) ON CONFLICT DO NOTHING`,
        [
          model,
          dimension,
          entries.map((e) => e.textHash),
          entries.map((e) => Buffer.from(e.vector.buffer, e.vector.byteOffset, e.vector.byteLength)),
        ],
      );
    },

    async recordWorkerHeartbeat(worker) {
      await pool.query(
        `INSERT INTO workers (id, host, pid, started_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
        [worker.id, worker.host, worker.pid, worker.startedAt, worker.lastSeenAt],
      );
    },
    async listLiveWorkers(withinMs) {
      // Rows of workers gone for a day are noise; prune them as a side effect of looking.
      await pool.query(`DELETE FROM workers WHERE last_seen_at < now() - interval '1 day'`);
      const rows = await query<{ id: string; host: string; pid: number; started_at: string; last_seen_at: string }>(
        'SELECT * FROM workers WHERE last_seen_at >= $1 ORDER BY started_at',
        [new Date(Date.now() - withinMs)],
      );
      return rows.map((r) => ({ id: r.id, host: r.host, pid: r.pid, startedAt: r.started_at, lastSeenAt: r.last_seen_at }));
    },
    async removeWorker(id) {
      await pool.query('DELETE FROM workers WHERE id = $1', [id]);
    },

    getIdempotentResponse(tenantId, key) {
      return one<IdempotentResponse>(
        'SELECT status, body, fingerprint FROM idempotency_keys WHERE tenant_id = $1 AND key = $2',
        [tenantId, key],
      );
    },
    async putIdempotentResponse(tenantId, key, fingerprint, status, body) {
      return changed(
        await pool.query(
          `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, body, created_at) VALUES ($1, $2, $3, $4, $5, now())
             ON CONFLICT DO NOTHING`,
          [tenantId, key, fingerprint, status, body],
        ),
      );
    },

    async searchVector(collectionId, vector, k) {
      const collection = await store.getCollection(collectionId);
      if (!collection) {
        return [];
      }
      // The same expression as the collection's partial HNSW index, with the id inline, so the
      // planner can match that index; ids are checked by vectorIndexName.
      vectorIndexName(collectionId);
      const cast = `vector(${Number(collection.embedder.dimension)})`;
      const rows = await query<HitRow & { score: number }>(
        `SELECT ${hitColumns}, 1 - (c.embedding::${cast} <=> $1::${cast}) AS score
           FROM chunks c JOIN documents d ON d.id = c.document_id
          WHERE c.collection_id = '${collectionId}'
          ORDER BY c.embedding::${cast} <=> $1::${cast} LIMIT $2`,
        [pgvector.toSql(Array.from(vector)), k],
      );
      return rows.map((r) => toSearchHit(r, r.score));
    },
    async searchText(collectionId, text, k) {
      const terms = searchTerms(text);
      if (terms.length === 0) {
        return [];
      }
      const run = async (match: TermMatch): Promise<SearchHit[]> =>
        (
          await query<HitRow & { score: number }>(
            // Every match is ranked. `ts_rank` weighs how often the terms occur; `ts_rank_cd` (cover
            // density, how near they are) cost about twice as much per chunk: at 100,000 chunks, median
            // 16-18 ms against 22-24, p99 430-440 against 1,140-1,230 (PostgreSQL 15,
            // bench/query-latency.js). Ranked by id first, then the top k joined for their text: a sort
            // holding each match's text read it out of TOAST (about 10 ms more at the median, 440 at p99).
            `SELECT ${hitColumns}, r.score
               FROM (SELECT c.id, ts_rank(c.tsv, q) AS score
                       FROM chunks c, to_tsquery('english', $2) q
                      WHERE c.collection_id = $1 AND c.tsv @@ q
                      ORDER BY score DESC, c.id LIMIT $3) r
               JOIN chunks c ON c.id = r.id JOIN documents d ON d.id = c.document_id
              ORDER BY r.score DESC, c.id`,
            [collectionId, toTsQuery(terms, match), k],
          )
        ).map((r) => toSearchHit(r, r.score));
      const every = await run('every');
      return needsAnyTermPass(terms, every.length, k) ? appendUnseen(every, await run('any'), k, (hit) => hit.chunkId) : every;
    },
    countChunks(collectionId) {
      return collectionId
        ? count('SELECT count(*)::int AS n FROM chunks WHERE collection_id = $1', [collectionId])
        : count('SELECT count(*)::int AS n FROM chunks');
    },

    async close() {
      await pool.end();
    },
  };
  return store;
}
