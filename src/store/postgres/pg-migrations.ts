import {
  documentFactsTables,
  backlogIndexes,
  pagesReadColumns,
  stagedChunksTable,
  stagedChunksTriggers,
  sourcesTables,
} from '../document-sql.js';
import { asUnavailable } from './pg-connection-errors.js';
import { withConnection, type PgPool, type PgQueryable } from './pg-connection.js';
import { stemmedLanguages } from '../../core/language-rules.js';
import { indexedText } from '../search-text.js';

/**
 * Schema versions, applied in order, each once, in one transaction under an advisory lock so that
 * processes starting together do not race. Append; never edit a released migration.
 *
 * Vectors of every collection live in one `chunks.embedding` column of type `vector` (no fixed
 * dimension, since collections pin different models); each collection gets a partial HNSW index on
 * `embedding::vector(n)` when it is created, and vector queries use the same expression.
 */
const migrations: readonly { version: number; sql: string; data?: (client: PgQueryable) => Promise<void> }[] = [
  {
    version: 1,
    sql: `
      CREATE EXTENSION IF NOT EXISTS vector;
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        key_hash TEXT NOT NULL UNIQUE,
        admin BOOLEAN NOT NULL DEFAULT false,
        created_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE collections (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        embedder_name TEXT NOT NULL,
        embedder_model TEXT NOT NULL,
        dimension INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        UNIQUE (tenant_id, name)
      );
      CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size_bytes BIGINT NOT NULL,
        media_type TEXT,
        state TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        attempt_id TEXT,
        error_code TEXT,
        error_message TEXT,
        duplicate_of TEXT,
        chunks_total INTEGER NOT NULL DEFAULT 0,
        chunks_embedded INTEGER NOT NULL DEFAULT 0,
        available_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        completed_at TIMESTAMPTZ
      );
      CREATE INDEX documents_by_batch ON documents (batch_id, state);
      CREATE INDEX documents_by_sha ON documents (collection_id, sha256);
      CREATE INDEX documents_by_source ON documents (collection_id, source);
      CREATE INDEX documents_by_state ON documents (state, priority DESC, id);
      CREATE TABLE chunks (
        id BIGSERIAL PRIMARY KEY,
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        collection_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        text TEXT NOT NULL,
        token_count INTEGER NOT NULL,
        char_start INTEGER NOT NULL,
        char_end INTEGER NOT NULL,
        page INTEGER,
        embedder TEXT NOT NULL,
        dimension INTEGER NOT NULL,
        embedding vector NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        UNIQUE (document_id, idx)
      );
      CREATE INDEX chunks_by_collection ON chunks (collection_id);
      CREATE INDEX chunks_full_text ON chunks USING gin (tsv);
      -- Append-only progress log: SSE streams replay it from any sequence number.
      CREATE TABLE events (
        seq BIGSERIAL PRIMARY KEY,
        batch_id TEXT NOT NULL,
        document_id TEXT NOT NULL,
        data JSONB NOT NULL
      );
      CREATE INDEX events_by_batch ON events (batch_id, seq);
      CREATE INDEX events_by_document ON events (document_id, seq);
      CREATE TABLE embedding_cache (
        model TEXT NOT NULL,
        dimension INTEGER NOT NULL,
        text_sha256 TEXT NOT NULL,
        vector BYTEA NOT NULL,
        PRIMARY KEY (model, dimension, text_sha256)
      );
      CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE idempotency_keys (
        tenant_id TEXT NOT NULL,
        key TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (tenant_id, key)
      );
    `,
  },
  {
    version: 2,
    sql: `
      -- Fair scheduling: a queued document waits in the ledger until its tenant has room in flight
      -- (dispatched_at is when it was handed to the queue); documents already unfinished keep their job.
      ALTER TABLE documents ADD COLUMN dispatched_at TIMESTAMPTZ;
      UPDATE documents SET dispatched_at = updated_at WHERE state IN ('queued', 'parsing', 'chunking', 'embedding', 'indexing');
      CREATE INDEX documents_awaiting_dispatch ON documents (collection_id, batch_id, priority DESC, id)
        WHERE dispatched_at IS NULL AND state = 'queued';
      CREATE INDEX documents_in_flight ON documents (collection_id)
        WHERE dispatched_at IS NOT NULL AND state IN ('queued', 'parsing', 'chunking', 'embedding', 'indexing');
      -- Per-tenant limits; NULL takes the deployment's default.
      ALTER TABLE tenants ADD COLUMN max_in_flight INTEGER;
      ALTER TABLE tenants ADD COLUMN max_documents INTEGER;
      ALTER TABLE tenants ADD COLUMN max_bytes BIGINT;
      ALTER TABLE tenants ADD COLUMN max_chunks INTEGER;
    `,
  },
  {
    version: 3,
    sql: `
      -- Batches already counted in the running attempt's progress, so a batch delivered twice counts once.
      ALTER TABLE documents ADD COLUMN embedded_batches INTEGER[] NOT NULL DEFAULT '{}';
      -- The worker process running the current attempt: with heartbeats, tells running from stalled.
      ALTER TABLE documents ADD COLUMN worker_id TEXT;
      -- The turn a document was handed to the queue with (its queue priority), for its queue position.
      ALTER TABLE documents ADD COLUMN dispatch_turn INTEGER;
      -- Partial success: a collection may publish documents without their chunks that failed for good.
      ALTER TABLE collections ADD COLUMN partial_success BOOLEAN NOT NULL DEFAULT false;
      ALTER TABLE documents ADD COLUMN failed_chunks INTEGER[];
    `,
  },
  {
    version: 4,
    sql: `
      -- A chunk's tsvector (about 2 kB for 400 tokens) stays in the table's own row; its text and vector
      -- go to TOAST. A text query reads the tsvector of every chunk it matches, to rank it. With the
      -- defaults, a row is cut down to 2 kB, which the tsvector alone about fills, so it went out of
      -- line too, and each match cost lookups in the TOAST table. Kept in the row (a target of 4 kB
      -- leaves it room; MAIN moves it out only when nothing else can go), the median text query over
      -- 100,000 chunks took 8.7-9.4 ms against 19-21, p99 200-220 ms against 480-530 (PostgreSQL 15,
      -- the queries of bench/query-latency.js). Rows written before keep their layout until rewritten.
      ALTER TABLE chunks ALTER COLUMN tsv SET STORAGE MAIN;
      ALTER TABLE chunks SET (toast_tuple_target = 4080);
    `,
  },
  {
    version: 5,
    sql: `
      -- Keys have a lifecycle: a label, a non-secret prefix of the secret to tell keys apart (NULL for
      -- keys made before: only their hash is known), their last use, an expiry and a revocation.
      ALTER TABLE api_keys ADD COLUMN prefix TEXT;
      ALTER TABLE api_keys ADD COLUMN name TEXT;
      ALTER TABLE api_keys ADD COLUMN last_used_at TIMESTAMPTZ;
      ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMPTZ;
      ALTER TABLE api_keys ADD COLUMN revoked_at TIMESTAMPTZ;
      CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, id);
    `,
  },
  {
    version: 6,
    sql: `
      -- A hash of the request an answer was first given to, so that a key reused for another request
      -- is told apart from a retry ('' for answers recorded before).
      ALTER TABLE idempotency_keys ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 7,
    sql: `
      -- A raw file is collected once nothing refers to it: no document (by content hash, in any
      -- collection) and no hold an upload took while it stores the file and records its documents.
      CREATE INDEX documents_by_blob ON documents (sha256);
      CREATE TABLE blob_holds (
        hold_id TEXT NOT NULL,
        key TEXT NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (hold_id, key)
      );
      CREATE INDEX blob_holds_by_key ON blob_holds (key, expires_at);
      -- One sweeper at a time across processes, and what the last sweep did.
      CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL);
      CREATE TABLE sweeps (name TEXT PRIMARY KEY, report TEXT NOT NULL, recorded_at TIMESTAMPTZ NOT NULL);
    `,
  },
  {
    version: 8,
    sql: `
      -- A running attempt's chunks and, once embedded, their vectors (float32 bytes), between its
      -- fan-out and fan-in: embedding batches then go through Redis as ids.
      ${stagedChunksTable('BYTEA')};
      ${stagedChunksTriggers('postgres')}
    `,
  },
  {
    version: 9,
    sql: `
      -- Places documents are scanned from (a bucket prefix), the running or last scan of each, and the
      -- version of every object a document was read from, so a rescan reads only what changed.
      ${sourcesTables('postgres')}
    `,
  },
  {
    version: 10,
    sql: `
      -- Text written without spaces (Chinese, Japanese, Thai) is indexed in the form search-text.ts
      -- gives it, kept beside the chunk when it differs from the text. Chunks published before keep the
      -- tsvector of their text until their document is published again.
      ALTER TABLE chunks ADD COLUMN search_text TEXT;
      ALTER TABLE chunks DROP COLUMN tsv;
      ALTER TABLE chunks ADD COLUMN tsv tsvector
        GENERATED ALWAYS AS (to_tsvector('english', coalesce(search_text, text))) STORED;
      ALTER TABLE chunks ALTER COLUMN tsv SET STORAGE MAIN;
      CREATE INDEX chunks_full_text ON chunks USING gin (tsv);
    `,
  },
  {
    version: 11,
    // Chunks written before keep the tsvector of their text: text without spaces in them is given its
    // indexed form (search-text.ts) now, so that a word inside their sentences is found as in new ones.
    sql: 'SELECT 1',
    data: indexUnspacedText,
  },
  {
    version: 12,
    sql: documentFactsTables('postgres'),
  },
  {
    version: 13,
    sql: pagesReadColumns,
  },
  {
    version: 14,
    // Chunks of documents in a language with a stemmer of its own, indexed before their words were
    // stemmed by its rules (language-rules.ts), are indexed in that form.
    sql: '',
    data: indexStemmedLanguages,
  },
  {
    version: 15,
    sql: backlogIndexes,
  },
];

/**
 * Advisory lock keys: one for migrations, one that orders event appends (see appendEvent), one per
 * tenant's dispatch, one that serialises key revocations (see revokeApiKey).
 */
export const lockKeys = { migrate: 7_351_001, events: 7_351_002, dispatch: 7_351_003, apiKeys: 7_351_004 } as const;

/** Characters of the scripts `indexedText` rewrites: kana, CJK ideographs, Thai, Lao, Khmer, Myanmar. */
const unspacedScripts = '[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1780-\u17ff\u1000-\u109f]';

/** Sets `search_text` of the chunks whose text `indexedText` changes, a page of them at a time. */
async function indexUnspacedText(client: PgQueryable): Promise<void> {
  for (let after = 0; ;) {
    const { rows } = await client.query<{ id: string; text: string }>(
      'SELECT id, text FROM chunks WHERE id > $1 AND search_text IS NULL AND text ~ $2 ORDER BY id LIMIT 500',
      [after, unspacedScripts],
    );
    const changed = rows
      .map((r) => ({ id: r.id, indexed: indexedText(r.text) }))
      .filter((r, i) => r.indexed !== rows[i]?.text);
    if (changed.length > 0) {
      await client.query(
        'UPDATE chunks c SET search_text = u.indexed FROM unnest($1::bigint[], $2::text[]) AS u(id, indexed) WHERE c.id = u.id',
        [changed.map((r) => r.id), changed.map((r) => r.indexed)],
      );
    }
    if (rows.length < 500) {
      return;
    }
    after = Number((rows[rows.length - 1] as { id: string }).id);
  }
}

/** Sets `search_text` of the chunks of documents in a stemmed language, a page of them at a time. */
async function indexStemmedLanguages(client: PgQueryable): Promise<void> {
  for (let after = 0; ;) {
    const { rows } = await client.query<{ id: string; text: string; language: string }>(
      `SELECT c.id, c.text, d.language FROM chunks c JOIN documents d ON d.id = c.document_id
        WHERE c.id > $1 AND d.language = ANY($2::text[]) ORDER BY c.id LIMIT 500`,
      [after, stemmedLanguages],
    );
    if (rows.length > 0) {
      await client.query(
        'UPDATE chunks c SET search_text = u.indexed FROM unnest($1::bigint[], $2::text[]) AS u(id, indexed) WHERE c.id = u.id',
        [rows.map((r) => r.id), rows.map((r) => indexedText(r.text, r.language))],
      );
    }
    if (rows.length < 500) {
      return;
    }
    after = Number((rows[rows.length - 1] as { id: string }).id);
  }
}

export async function migrate(pool: PgPool): Promise<void> {
  await withConnection(pool, async (client) => {
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [lockKeys.migrate]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)',
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      for (const migration of migrations) {
        if (!applied.has(migration.version)) {
          await client.query(migration.sql);
          await migration.data?.(client);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())', [
            migration.version,
          ]);
        }
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw asUnavailable(error);
    }
  });
}

/** SQL name of a collection's vector index; ids are generated, checked here so they are safe in SQL. */
export function vectorIndexName(collectionId: string): string {
  if (!/^[a-z0-9_]+$/.test(collectionId)) {
    throw new Error(`unexpected collection id ${collectionId}`);
  }
  return `chunks_vec_${collectionId}`;
}
