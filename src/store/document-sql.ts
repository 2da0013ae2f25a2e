import { allowedTransitions, runningStates, terminalStates, type DocumentState } from '../core/states.js';
import { largestFirst } from './dispatch-slots.js';
import type { DocumentRow } from './store-rows.js';
import type { RejectedDocumentInput } from '../ports/document-ledger.js';

/**
 * SQL both backends share about documents, written once. Placeholders differ by dialect (`?`, `@name`,
 * `$1`), so the fragments that take parameters are functions of their placeholders.
 */
const list = (states: readonly DocumentState[]): string => states.map((s) => `'${s}'`).join(', ');

export const terminalSql = list(terminalStates);
export const unfinishedSql = list(['queued', ...runningStates]);
export const runningSql = list(runningStates);

/** The condition that lets a document enter `to` (core's table of allowed transitions). */
export function mayEnter(to: DocumentState): string {
  const from = allowedTransitions[to];
  return from.length > 0 ? `state IN (${list(from)})` : 'FALSE';
}

/**
 * A state change of a running attempt: nothing happens unless the attempt is the document's current
 * one, the document may enter `to` from where it is, and it has not ended. The table lets `queued` be
 * entered from finished states (a new version, a requeue by hand), which an attempt's own retry never
 * does: a finished document keeps its attempt id.
 */
export function fencedUpdate(
  to: DocumentState,
  sets: string,
  p: { id: string; attemptId: string; now: string },
): string {
  return `UPDATE documents SET ${sets}, updated_at = ${p.now}
    WHERE id = ${p.id} AND attempt_id = ${p.attemptId} AND ${mayEnter(to)} AND state NOT IN (${terminalSql})`;
}

/**
 * A tenant's documents waiting for dispatch, in the order dispatch takes them. A document's turn is its
 * place in its batch counting those already handed over, so batches advance evenly and a new batch
 * starts at the front; within a batch the largest files go first.
 */
export function awaitingDispatchInOrder(tenant: string): string {
  return `SELECT id FROM (
    SELECT id, priority, dispatched_at, state, duplicate_of, row_number() OVER (PARTITION BY batch_id, priority ORDER BY ${largestFirst}) AS turn
      FROM documents WHERE batch_id IN (
        SELECT d.batch_id FROM documents d JOIN collections c ON c.id = d.collection_id
         WHERE c.tenant_id = ${tenant} AND d.dispatched_at IS NULL AND d.state = 'queued' AND d.duplicate_of IS NULL)) placed
  WHERE dispatched_at IS NULL AND state = 'queued' AND duplicate_of IS NULL
  ORDER BY priority DESC, turn, id`;
}

/**
 * A live original of the collection with these bytes: the one a new file would be a copy of (never a
 * copy itself, nor a document that failed or was cancelled: a copy of those is processed in its own right).
 */
export function twinOf(collection: string, sha256: string): string {
  return `SELECT * FROM documents WHERE collection_id = ${collection} AND sha256 = ${sha256} AND duplicate_of IS NULL
      AND state NOT IN ('failed', 'cancelled', 'skipped')
    ORDER BY (state = 'completed') DESC, id LIMIT 1`;
}

/** The document a source names in the collection, if any: a new file of that source is its new version. */
export function documentOfSource(collection: string, source: string): string {
  return `SELECT * FROM documents WHERE collection_id = ${collection} AND source = ${source} AND state != 'skipped' ORDER BY id DESC LIMIT 1`;
}

/** What registering a file does, given what its collection holds. */
export type RegistrationPlan =
  /** The same source with the same bytes is already waiting or running: nothing new to do. */
  | { kind: 'pending'; twin: DocumentRow }
  /** The same bytes are in the collection, done: recorded as `skipped`, pointing at them. */
  | { kind: 'duplicate'; of: DocumentRow }
  /**
   * The same bytes are in the collection under another source, not done yet: recorded `queued`,
   * pointing at them, never dispatched; it ends as they end (`settleCopies`).
   */
  | { kind: 'copy'; of: DocumentRow }
  /**
   * A new version of a known source takes over its document: the old chunks stay searchable until the
   * new ones are published in one transaction, and any attempt still running is fenced out.
   */
  | { kind: 'new_version'; previous: DocumentRow }
  | { kind: 'new' };

export function planRegistration(
  source: string,
  twin: DocumentRow | undefined,
  previous: DocumentRow | undefined,
): RegistrationPlan {
  if (twin) {
    if (twin.state === 'completed' || twin.state === 'completed_with_errors') {
      return { kind: 'duplicate', of: twin };
    }
    return twin.source === source ? { kind: 'pending', twin } : { kind: 'copy', of: twin };
  }
  return previous ? { kind: 'new_version', previous } : { kind: 'new' };
}

/** The columns a new version resets: a fresh attempt budget, no error, no progress. */
export const newVersionResets = `state = 'queued', attempts = 0, attempt_id = NULL, error_code = NULL, error_message = NULL,
  chunks_total = 0, chunks_embedded = 0, pages_total = NULL, pages_parsed = 0, available_at = NULL, dispatched_at = NULL, completed_at = NULL, duplicate_of = NULL`;

/** A running attempt's pages read of a paged file, for progress inside one large file (one migration). */
export const pagesReadColumns = `ALTER TABLE documents ADD COLUMN pages_total INTEGER;
  ALTER TABLE documents ADD COLUMN pages_parsed INTEGER NOT NULL DEFAULT 0;`;

/**
 * The distinct languages of a collection's documents (`collection` its placeholder), one index probe
 * per language through `documents_by_language`, however many documents it holds.
 */
export const languagesOfCollectionSql = (collection: string): string => `WITH RECURSIVE found(language) AS (
    SELECT min(language) FROM documents WHERE collection_id = ${collection} AND language IS NOT NULL
    UNION ALL
    SELECT (SELECT min(language) FROM documents WHERE collection_id = ${collection} AND language > found.language)
      FROM found WHERE found.language IS NOT NULL)
  SELECT language FROM found WHERE language IS NOT NULL`;

/** Unfinished documents handed to the queue (`listInFlight`), as the condition of a partial index and its queries. */
export const inFlightSql = `dispatched_at IS NOT NULL AND state IN (${unfinishedSql})`;

/**
 * Indexes that keep a large backlog cheap (one migration): the documents in flight by id, so that
 * reconciliation reads a page of them alone; copies by their original, so that a new version of a file
 * finds the copies that waited for it without reading every document; and a collection's documents by
 * state and by raw file, which PostgreSQL's counts for the stats and quotas read without the rows.
 * SQLite's read counters instead (`sqlite-usage-counts.ts`), whose triggers find a file's other
 * documents by the second.
 */
export const backlogIndexes = `CREATE INDEX documents_in_flight_by_id ON documents (id) WHERE ${inFlightSql};
  CREATE INDEX documents_by_original ON documents (duplicate_of) WHERE duplicate_of IS NOT NULL;
  CREATE INDEX documents_by_collection_state ON documents (collection_id, state);
  CREATE INDEX documents_by_collection_blob ON documents (collection_id, sha256, size_bytes);`;

/** What `claim` resets besides the state: the last attempt's pages read. */
export const attemptResets = 'pages_total = NULL, pages_parsed = 0';

/**
 * The share of a running document's work that is done, 0 to 1: a paged file's pages read count for
 * half (reading a long PDF is most of its time), its chunks embedded for the rest or for all.
 */
export const documentWorkSql = `CASE WHEN coalesce(pages_total, 0) > 0
    THEN 0.5 * pages_parsed / pages_total + 0.5 * coalesce(1.0 * chunks_embedded / nullif(chunks_total, 0), 0)
    ELSE coalesce(1.0 * chunks_embedded / nullif(chunks_total, 0), 0) END`;

/** How a copy that waited for its original ends, by how the original ended. */
export type CopySettlement = 'skip' | 'fail' | 'promote' | 'wait';

export function settlementOf(original: DocumentRow | undefined): CopySettlement {
  switch (original?.state) {
    case 'completed':
    case 'completed_with_errors':
      return 'skip';
    case 'failed':
      return 'fail';
    case 'cancelled':
    case undefined:
      // Not the content's fault (or the original is gone): the oldest copy is processed in its own right.
      return 'promote';
    default:
      return 'wait';
  }
}

/** The message of a copy failed with its original. */
export const copyFailure = (original: DocumentRow): string =>
  `The same bytes as ${original.id} (${original.source}), which failed: ${original.error_message ?? ''}`;

/** The values of a refused file's `failed` row after its id, in the order both stores' inserts take them. */
export function rejectedValues(input: RejectedDocumentInput): unknown[] {
  const { collectionId, batchId, source, sizeBytes, code, message } = input;
  return [collectionId, batchId, source, sizeBytes, input.priority ?? 0, code, message];
}

/** A staged chunk's columns, named as `Chunk`'s fields. */
export const stagedColumns =
  'chunk_index AS "index", text, token_count AS "tokenCount", char_start AS "charStart", char_end AS "charEnd", page';

/** Removes what attempts that are no longer running their document kept (it died, was overtaken, or ended). */
export const pruneStagedSql = `DELETE FROM staged_chunks WHERE NOT EXISTS (
  SELECT 1 FROM documents d WHERE d.id = staged_chunks.document_id AND d.attempt_id = staged_chunks.attempt_id
    AND d.state IN (${runningSql}))`;

/** The table of staged chunks, the same in both stores but for the type of a vector's bytes. */
export function stagedChunksTable(bytes: 'BLOB' | 'BYTEA'): string {
  return `CREATE TABLE staged_chunks (
    document_id TEXT NOT NULL,
    attempt_id TEXT NOT NULL,
    chunk_index INTEGER NOT NULL,
    text TEXT NOT NULL,
    token_count INTEGER NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    page INTEGER,
    vector ${bytes},
    PRIMARY KEY (document_id, attempt_id, chunk_index)
  )`;
}

/**
 * Triggers that drop what a document's attempts staged once it ends (published, failed, cancelled) or
 * is deleted, in the same transaction: nothing staged outlives its document's run, whatever fails after.
 */
export function stagedChunksTriggers(dialect: 'sqlite' | 'postgres'): string {
  if (dialect === 'sqlite') {
    return `CREATE TRIGGER staged_chunks_settled AFTER UPDATE OF state ON documents
      WHEN NEW.state IN (${terminalSql})
      BEGIN DELETE FROM staged_chunks WHERE document_id = NEW.id; END;
    CREATE TRIGGER staged_chunks_deleted AFTER DELETE ON documents
      BEGIN DELETE FROM staged_chunks WHERE document_id = OLD.id; END;`;
  }
  return `CREATE FUNCTION drop_staged_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN DELETE FROM staged_chunks WHERE document_id = OLD.id; RETURN NULL; END $$;
    CREATE TRIGGER staged_chunks_settled AFTER UPDATE OF state ON documents FOR EACH ROW
      WHEN (NEW.state IN (${terminalSql})) EXECUTE FUNCTION drop_staged_chunks();
    CREATE TRIGGER staged_chunks_deleted AFTER DELETE ON documents FOR EACH ROW
      EXECUTE FUNCTION drop_staged_chunks();`;
}

/**
 * Places documents are scanned from (a bucket prefix), the running or last scan of each (JSON), and the
 * version of every object a document was read from, so a rescan reads only what changed.
 */
export function sourcesTables(dialect: 'sqlite' | 'postgres'): string {
  const [json, time, big, rowid] =
    dialect === 'sqlite' ? ['TEXT', 'TEXT', 'INTEGER', ' WITHOUT ROWID'] : ['JSONB', 'TIMESTAMPTZ', 'BIGINT', ''];
  return `CREATE TABLE sources (
      id TEXT PRIMARY KEY,
      collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
      type TEXT NOT NULL,
      url TEXT NOT NULL,
      include ${json} NOT NULL,
      exclude ${json} NOT NULL,
      created_at ${time} NOT NULL,
      scan ${json},
      scan_alive_at ${time},
      UNIQUE (collection_id, url)
    );
    CREATE TABLE source_objects (
      source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      etag TEXT NOT NULL,
      size_bytes ${big} NOT NULL,
      last_modified TEXT NOT NULL,
      document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
      seen_by TEXT NOT NULL,
      PRIMARY KEY (source_id, key)
    )${rowid};
    CREATE INDEX source_objects_by_document ON source_objects (document_id);
    CREATE INDEX source_objects_by_scan ON source_objects (source_id, seen_by);`;
}

/**
 * Each document's metadata (JSON text) and detected language, and its metadata again as one row per
 * value (`metadataFields`), so that equality, `in` and ranges on any key use an index; the rows go
 * with their document, by trigger, on every path that deletes one.
 */
function documentFieldsTables(dialect: 'sqlite' | 'postgres'): string {
  const number = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const removal =
    dialect === 'sqlite'
      ? `CREATE TRIGGER document_fields_deleted AFTER DELETE ON documents
      BEGIN DELETE FROM document_fields WHERE document_id = OLD.id; END;`
      : `CREATE FUNCTION drop_document_fields() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN DELETE FROM document_fields WHERE document_id = OLD.id; RETURN NULL; END $$;
    CREATE TRIGGER document_fields_deleted AFTER DELETE ON documents FOR EACH ROW
      EXECUTE FUNCTION drop_document_fields();`;
  return `ALTER TABLE documents ADD COLUMN metadata TEXT;
    ALTER TABLE documents ADD COLUMN language TEXT;
    CREATE TABLE document_fields (
      document_id TEXT NOT NULL,
      collection_id TEXT NOT NULL,
      key TEXT NOT NULL,
      text_value TEXT NOT NULL,
      num_value ${number}
    );
    CREATE INDEX document_fields_by_text ON document_fields (collection_id, key, text_value);
    CREATE INDEX document_fields_by_number ON document_fields (collection_id, key, num_value) WHERE num_value IS NOT NULL;
    CREATE INDEX document_fields_by_document ON document_fields (document_id);
    CREATE INDEX documents_by_language ON documents (collection_id, language);
    CREATE INDEX documents_by_media_type ON documents (collection_id, media_type);
    CREATE INDEX documents_by_created ON documents (collection_id, created_at);
    CREATE INDEX documents_by_completion ON documents (completed_at);
    ${removal}`;
}

/**
 * The documents a registration's metadata goes to: the one it recorded, and the document of the same
 * source that it found with the same bytes (an unchanged file sent again with new metadata).
 */
export function metadataTargets(plan: RegistrationPlan, recorded: string, source: string): string[] {
  const found = plan.kind === 'duplicate' ? plan.of : plan.kind === 'pending' ? plan.twin : undefined;
  return found && found.source === source && found.id !== recorded ? [recorded, found.id] : [recorded];
}

/**
 * How many of a collection's parsed HTML pages each short line is on (`repeated-lines.ts`), by key; the
 * empty key counts the pages. A document's lines are counted once, whatever its attempts.
 */
function collectionLinesTables(dialect: 'sqlite' | 'postgres'): string {
  const [flag, rowid] =
    dialect === 'sqlite' ? ['INTEGER NOT NULL DEFAULT 0', ' WITHOUT ROWID'] : ['BOOLEAN NOT NULL DEFAULT false', ''];
  return `CREATE TABLE collection_lines (
      collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      documents INTEGER NOT NULL,
      PRIMARY KEY (collection_id, key)
    )${rowid};
    ALTER TABLE documents ADD COLUMN lines_counted ${flag};`;
}

/** What a document is known by beyond its bytes: its metadata, language and page lines (one migration). */
export function documentFactsTables(dialect: 'sqlite' | 'postgres'): string {
  return `${documentFieldsTables(dialect)}
    ${collectionLinesTables(dialect)}`;
}

/**
 * Statements of `documentStats`: documents by collection and state, failures by code, and documents
 * and chunks completed since a time, in all and per minute; `tenant` is the tenant's placeholder, or
 * null for every tenant. SQLite takes the first two from its counters (`countedStatsSql`).
 */
export function documentStatsSql(tenant: string | null, since: string, dialect: 'sqlite' | 'postgres') {
  const scope = `FROM documents d JOIN collections c ON c.id = d.collection_id WHERE ${tenant ? `c.tenant_id = ${tenant}` : '1 = 1'}`;
  const completed = `d.state IN ('completed', 'completed_with_errors') AND d.completed_at >= ${since}`;
  // The minute as ISO text, `2026-12-07T13:05`, in UTC.
  const minute =
    dialect === 'sqlite'
      ? 'substr(d.completed_at, 1, 16)'
      : `to_char(d.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI')`;
  return {
    perMinute: `SELECT ${minute} AS minute, count(*) AS documents, coalesce(sum(d.chunks_total), 0) AS chunks ${scope}
      AND ${completed} GROUP BY 1 ORDER BY 1`,
    // Grouped by the collection's key (its tenant follows from it), in the order of documents_by_collection_state.
    byCollection: `SELECT c.tenant_id, c.id AS collection_id, d.state, count(*) AS n ${scope} GROUP BY c.id, d.state`,
    failures: `SELECT c.tenant_id, d.error_code, count(*) AS n ${scope} AND d.state = 'failed' GROUP BY c.tenant_id, d.error_code`,
    completedSince: `SELECT count(*) AS documents, coalesce(sum(d.chunks_total), 0) AS chunks ${scope} AND ${completed}`,
  };
}
