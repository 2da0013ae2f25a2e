import type { Database } from 'better-sqlite3';
import { stemmedLanguages } from '../../core/language-rules.js';
import { indexedText } from '../search-text.js';
import { usageCountsMigration } from './sqlite-usage-counts.js';
import {
  documentFactsTables,
  backlogIndexes,
  pagesReadColumns,
  stagedChunksTable,
  stagedChunksTriggers,
  sourcesTables,
} from '../document-sql.js';

/**
 * Schema versions, applied in order, each once, inside a transaction. Append; never edit a released
 * migration. Per-collection vector (sqlite-vec) and full-text (FTS5) tables are created with the
 * collection, because a vec0 table fixes its dimension and a collection pins its embedder.
 */
const migrations: readonly { version: number; sql: string; data?: (db: Database) => void }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        key_hash TEXT NOT NULL UNIQUE,
        admin INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      );
      CREATE TABLE collections (
        id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        embedder_name TEXT NOT NULL,
        embedder_model TEXT NOT NULL,
        dimension INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (tenant_id, name)
      );
      CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
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
        available_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        completed_at TEXT
      );
      CREATE INDEX documents_by_batch ON documents (batch_id, state);
      CREATE INDEX documents_by_sha ON documents (collection_id, sha256);
      CREATE INDEX documents_by_source ON documents (collection_id, source);
      CREATE INDEX documents_by_state ON documents (state, priority DESC, id);
      CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
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
        UNIQUE (document_id, idx)
      );
      -- Append-only progress log: SSE streams replay it from any sequence number.
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        batch_id TEXT NOT NULL,
        document_id TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX events_by_batch ON events (batch_id, seq);
      CREATE INDEX events_by_document ON events (document_id, seq);
      -- Vectors by (model, dimension, SHA-256 of the text): unchanged chunks are never embedded twice.
      CREATE TABLE embedding_cache (
        model TEXT NOT NULL,
        dimension INTEGER NOT NULL,
        text_sha256 TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (model, dimension, text_sha256)
      ) WITHOUT ROWID;
      -- Worker processes sharing this ledger, for readiness and status.
      CREATE TABLE workers (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL
      );
      CREATE TABLE idempotency_keys (
        tenant_id TEXT NOT NULL,
        key TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, key)
      );
    `,
  },
  {
    version: 2,
    sql: `
      -- Fair scheduling: a queued document waits in the ledger until its tenant has room in flight
      -- (dispatched_at is when it was handed to the queue); documents already unfinished keep their job.
      ALTER TABLE documents ADD COLUMN dispatched_at TEXT;
      UPDATE documents SET dispatched_at = updated_at WHERE state IN ('queued', 'parsing', 'chunking', 'embedding', 'indexing');
      CREATE INDEX documents_awaiting_dispatch ON documents (collection_id, batch_id, priority DESC, id)
        WHERE dispatched_at IS NULL AND state = 'queued';
      CREATE INDEX documents_in_flight ON documents (collection_id)
        WHERE dispatched_at IS NOT NULL AND state IN ('queued', 'parsing', 'chunking', 'embedding', 'indexing');
      -- Per-tenant limits; NULL takes the deployment's default.
      ALTER TABLE tenants ADD COLUMN max_in_flight INTEGER;
      ALTER TABLE tenants ADD COLUMN max_documents INTEGER;
      ALTER TABLE tenants ADD COLUMN max_bytes INTEGER;
      ALTER TABLE tenants ADD COLUMN max_chunks INTEGER;
    `,
  },
  {
    version: 3,
    sql: `
      -- Batches already counted in the running attempt's progress, so a batch delivered twice counts once.
      ALTER TABLE documents ADD COLUMN embedded_batches TEXT NOT NULL DEFAULT '[]';
      -- The worker process running the current attempt: with heartbeats, tells running from stalled.
      ALTER TABLE documents ADD COLUMN worker_id TEXT;
      -- The turn a document was handed to the queue with (its queue priority), for its queue position.
      ALTER TABLE documents ADD COLUMN dispatch_turn INTEGER;
      -- Partial success: a collection may publish documents without their chunks that failed for good.
      ALTER TABLE collections ADD COLUMN partial_success INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE documents ADD COLUMN failed_chunks TEXT;
    `,
  },
  {
    version: 4,
    sql: `
      -- Every write or removal of a chunk's vector, in the transaction that makes it: searching processes
      -- keep each collection's vectors in memory and read here what changed since they last looked.
      -- AUTOINCREMENT: a number is never given twice, even after the newest rows go.
      CREATE TABLE vector_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        collection_id TEXT NOT NULL,
        chunk_id INTEGER NOT NULL
      );
    `,
  },
  {
    version: 5,
    sql: `
      -- A publish is written in short transactions, so that it never holds the write lock for long: its
      -- chunks carry the publish's stage token, unseen by searches and counts, until its last
      -- transaction clears the token. A new version of a document is staged beside the old one, so
      -- the one-chunk-per-index rule holds for published chunks only (rebuilt: SQLite cannot change a
      -- table's constraints in place; nothing refers to chunks by key, and the ids are kept).
      CREATE TABLE chunks_with_stage (
        id INTEGER PRIMARY KEY,
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
        stage TEXT
      );
      INSERT INTO chunks_with_stage (id, document_id, collection_id, idx, text, token_count, char_start, char_end, page, embedder, dimension)
        SELECT id, document_id, collection_id, idx, text, token_count, char_start, char_end, page, embedder, dimension FROM chunks;
      DROP TABLE chunks;
      ALTER TABLE chunks_with_stage RENAME TO chunks;
      CREATE UNIQUE INDEX chunks_published ON chunks (document_id, idx) WHERE stage IS NULL;
      CREATE INDEX chunks_staged ON chunks (collection_id, document_id, stage) WHERE stage IS NOT NULL;
    `,
  },
  {
    version: 6,
    sql: `
      -- Stage tokens move to a table of their own. Clearing a token in chunks rewrote every row of the
      -- publish, text and all, inside its last transaction (1,500 chunks: 7–9 ms of a 15–35 ms hold
      -- on the write lock, while uploads waited); deleting small rows here costs a few pages. A chunk
      -- is searchable when no row here names it. Published and staged versions of a document now
      -- share (document_id, idx), so that index is no longer unique.
      CREATE TABLE chunk_stage (
        chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
        collection_id TEXT NOT NULL,
        document_id TEXT NOT NULL,
        token TEXT NOT NULL
      );
      CREATE INDEX chunk_stage_by_document ON chunk_stage (collection_id, document_id, token);
      INSERT INTO chunk_stage (chunk_id, collection_id, document_id, token)
        SELECT id, collection_id, document_id, stage FROM chunks WHERE stage IS NOT NULL;
      DROP INDEX chunks_published;
      DROP INDEX chunks_staged;
      ALTER TABLE chunks DROP COLUMN stage;
      CREATE INDEX chunks_by_document ON chunks (document_id, idx);
    `,
  },
  {
    version: 7,
    sql: `
      -- Keys have a lifecycle: a label, a non-secret prefix of the secret to tell keys apart (NULL for
      -- keys made before: only their hash is known), their last use, an expiry and a revocation.
      ALTER TABLE api_keys ADD COLUMN prefix TEXT;
      ALTER TABLE api_keys ADD COLUMN name TEXT;
      ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
      ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
      ALTER TABLE api_keys ADD COLUMN revoked_at TEXT;
      CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, id);
    `,
  },
  {
    version: 8,
    sql: `
      -- A hash of the request an answer was first given to, so that a key reused for another request
      -- is told apart from a retry ('' for answers recorded before).
      ALTER TABLE idempotency_keys ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 9,
    sql: `
      -- A raw file is collected once nothing refers to it: no document (by content hash, in any
      -- collection) and no hold an upload took while it stores the file and records its documents.
      CREATE INDEX documents_by_blob ON documents (sha256);
      CREATE TABLE blob_holds (
        hold_id TEXT NOT NULL,
        key TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (hold_id, key)
      );
      CREATE INDEX blob_holds_by_key ON blob_holds (key, expires_at);
      -- One sweeper at a time across processes, and what the last sweep did.
      CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TEXT NOT NULL);
      CREATE TABLE sweeps (name TEXT PRIMARY KEY, report TEXT NOT NULL, recorded_at TEXT NOT NULL);
    `,
  },
  {
    version: 10,
    sql: `
      -- A running attempt's chunks and, once embedded, their vectors (float32 bytes), between its
      -- fan-out and fan-in, where embedding batches go through a shared queue.
      ${stagedChunksTable('BLOB')} WITHOUT ROWID;
      ${stagedChunksTriggers('sqlite')}
    `,
  },
  {
    version: 11,
    sql: `
      -- Places documents are scanned from (a bucket prefix), the running or last scan of each (JSON),
      -- and the version of every object a document was read from, so a rescan reads only what changed.
      ${sourcesTables('sqlite')}
    `,
  },
  {
    version: 12,
    // Chunks written before text without spaces was indexed in its own form (search-text.ts) are
    // indexed again in it, so that a word inside their sentences is found as in new ones.
    sql: '',
    data: reindexUnspacedText,
  },
  {
    version: 13,
    sql: documentFactsTables('sqlite'),
  },
  {
    version: 14,
    sql: pagesReadColumns,
  },
  {
    version: 15,
    // Chunks of documents in a language with a stemmer of its own, indexed before their words were
    // stemmed by its rules (language-rules.ts), are indexed again in that form.
    sql: '',
    data: (db) =>
      reindexChunks(
        db,
        `SELECT c.id, c.text, d.language FROM chunks c JOIN documents d ON d.id = c.document_id
          WHERE c.collection_id = ? AND c.id > ? AND d.language IN (${stemmedLanguages.map((l) => `'${l}'`).join(', ')})
          ORDER BY c.id LIMIT 1000`,
      ),
  },
  {
    version: 16,
    sql: backlogIndexes,
  },
  {
    version: 17,
    sql: usageCountsMigration,
  },
];

/** Indexes again, in the form `indexedText` gives, the chunks whose text it changes. */
function reindexUnspacedText(db: Database): void {
  reindexChunks(db, 'SELECT id, text FROM chunks WHERE collection_id = ? AND id > ? ORDER BY id LIMIT 1000');
}

/**
 * Indexes again, in the form `indexedText` gives, the chunks `page` selects (a collection's, after an
 * id, 1,000 at most, with their document's language where it matters), where that form is not the text.
 */
function reindexChunks(db: Database, page: string): void {
  const collections = db.prepare('SELECT id FROM collections').pluck().all() as string[];
  for (const collectionId of collections) {
    const { fullText } = collectionTables(collectionId);
    if (!db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(fullText)) {
      continue;
    }
    const remove = db.prepare(`DELETE FROM ${fullText} WHERE rowid = ?`);
    const insert = db.prepare(`INSERT INTO ${fullText} (rowid, text) VALUES (?, ?)`);
    // A page at a time, so that a large collection is never held in memory.
    const next = db.prepare(page);
    for (let after = 0; ;) {
      const rows = next.all(collectionId, after) as { id: number; text: string; language?: string }[];
      for (const { id, text, language } of rows) {
        const indexed = indexedText(text, language);
        if (indexed !== text) {
          remove.run(id);
          insert.run(id, indexed);
        }
      }
      if (rows.length < 1000) {
        break;
      }
      after = (rows[rows.length - 1] as { id: number }).id;
    }
  }
}

/** Applies the migrations not yet applied, up to version `upTo` (all by default: tests stop earlier to write old data). */
export function migrate(db: Database, upTo = Number.POSITIVE_INFINITY): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  for (const migration of migrations) {
    if (applied.has(migration.version) || migration.version > upTo) {
      continue;
    }
    db.transaction(() => {
      db.exec(migration.sql);
      migration.data?.(db);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        migration.version,
        new Date().toISOString(),
      );
    }).immediate();
  }
}

/** Table names of a collection's vector and full-text indexes; ids are generated, so they are safe in SQL. */
export function collectionTables(collectionId: string): { vectors: string; fullText: string } {
  if (!/^[a-z0-9_]+$/.test(collectionId)) {
    throw new Error(`unexpected collection id ${collectionId}`);
  }
  return { vectors: `vec_${collectionId}`, fullText: `fts_${collectionId}` };
}

/** Vectors a sqlite-vec table stores per chunk of its storage. */
export const vectorChunkSize = 256;

/** A collection's sqlite-vec table. */
export const vectorTableSql = (vectors: string, dimension: number): string =>
  `CREATE VIRTUAL TABLE IF NOT EXISTS ${vectors} USING vec0(embedding float[${dimension}] distance_metric=cosine, chunk_size=${vectorChunkSize})`;

export function createCollectionTables(db: Database, collectionId: string, dimension: number): void {
  const { vectors, fullText } = collectionTables(collectionId);
  db.exec(vectorTableSql(vectors, dimension));
  db.exec(
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${fullText} USING fts5(text, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2')`,
  );
}
