/**
 * Counters of what collections and tenants hold, kept by triggers in the transaction of every change,
 * so that the stats, quotas, status and metrics read a few rows per collection instead of counting
 * every document and chunk (in SQLite those counts ran on the thread that answers uploads; BENCH.md,
 * "A backlog of 100,000 queued documents"). One migration creates them and fills them from the rows.
 *
 * - `document_counts`: documents by collection, state and, for failed ones, error code ('' otherwise,
 *   and for a failure without a code). Rows may fall to zero and stay; readers leave zeros out.
 * - `collection_usage`: bytes of the distinct raw files (hash and size) of a collection's documents,
 *   whatever their states, and its published chunks: chunk rows less those staged by a publish in
 *   progress (`chunk_stage`).
 * - `tenant_usage`: bytes of the distinct raw files of all a tenant's collections. A file in two
 *   collections counts once here and once in each collection, so this is not a sum of theirs.
 *
 * Distinct bytes are kept exactly: a file's bytes are added when a document arrives that no other
 * document of the collection (or tenant) holds the file of, and taken off when the last one leaves,
 * which probes of `documents_by_collection_blob` tell (the collection's, and each collection of the
 * tenant's). SQLite runs row triggers after each row, not after the statement, so a statement that
 * removes several holders of one file takes it off once.
 * Only arrivals make a counter row; departures update the row there, so that nothing of a deleted
 * collection or tenant (whose rows go with it) comes back.
 *
 * Chunks are counted by the publish and the deletes themselves (`chunkCountSql`), not by triggers: a
 * trigger on every chunk row slowed the writing of chunks much (BENCH.md, "One collection grown to
 * a million chunks"), where the code that publishes or deletes a document's chunks adds or takes off
 * their number in one statement. Staged chunks are not counted until their publish ends. So every
 * delete of published chunks goes through `ChunkRows` (`sqlite-chunk-rows.ts`), or the count drifts.
 */

type Row = 'NEW' | 'OLD';

/** The failure code a document is counted under. */
const codeOf = (row: Row): string =>
  `CASE WHEN ${row}.state = 'failed' THEN coalesce(${row}.error_code, '') ELSE '' END`;

const countIn = (row: Row): string => `INSERT INTO document_counts (collection_id, state, error_code, documents)
    VALUES (${row}.collection_id, ${row}.state, ${codeOf(row)}, 1)
    ON CONFLICT (collection_id, state, error_code) DO UPDATE SET documents = documents + 1;`;

const countOut = (row: Row): string => `UPDATE document_counts SET documents = documents - 1
    WHERE collection_id = ${row}.collection_id AND state = ${row}.state AND error_code = ${codeOf(row)};`;

const tenantOf = (row: Row): string => `(SELECT tenant_id FROM collections WHERE id = ${row}.collection_id)`;

/** No document but `row` holds its raw file in its collection, or (`tenant`) in any collection of its tenant. */
const aloneWithFile = (row: Row, scope: 'collection' | 'tenant'): string =>
  `NOT EXISTS (SELECT 1 FROM documents d WHERE ${
    scope === 'collection'
      ? `d.collection_id = ${row}.collection_id`
      : `d.collection_id IN (SELECT id FROM collections WHERE tenant_id = ${tenantOf(row)})`
  } AND d.sha256 = ${row}.sha256 AND d.size_bytes = ${row}.size_bytes AND d.id != ${row}.id)`;

/** The probes the triggers run on a document that arrives, whose plans tests check (an index search, never a scan). */
export const fileProbesSql = { collection: aloneWithFile('NEW', 'collection'), tenant: aloneWithFile('NEW', 'tenant') };

/** Adds the raw file of a document that arrived (or changed) to what its collection and tenant hold, if new to them. */
const fileIn = (row: Row): string => `INSERT INTO collection_usage (collection_id, stored_bytes, chunks)
    SELECT ${row}.collection_id, ${row}.size_bytes, 0 WHERE ${row}.sha256 != '' AND ${aloneWithFile(row, 'collection')}
    ON CONFLICT (collection_id) DO UPDATE SET stored_bytes = stored_bytes + excluded.stored_bytes;
  INSERT INTO tenant_usage (tenant_id, stored_bytes)
    SELECT tenant_id, ${row}.size_bytes FROM collections
      WHERE id = ${row}.collection_id AND ${row}.sha256 != '' AND ${aloneWithFile(row, 'tenant')}
    ON CONFLICT (tenant_id) DO UPDATE SET stored_bytes = stored_bytes + excluded.stored_bytes;`;

/** Takes the raw file of a document that left (or changed) off what its collection and tenant hold, if it was the last. */
const fileOut = (row: Row): string => `UPDATE collection_usage SET stored_bytes = stored_bytes - ${row}.size_bytes
    WHERE collection_id = ${row}.collection_id AND ${row}.sha256 != '' AND ${aloneWithFile(row, 'collection')};
  UPDATE tenant_usage SET stored_bytes = stored_bytes - ${row}.size_bytes
    WHERE tenant_id = ${tenantOf(row)} AND ${row}.sha256 != '' AND ${aloneWithFile(row, 'tenant')};`;

/**
 * Published chunks counted in by a publish (the collection's row is made by the first) and out by a
 * delete: the collection id and the number (`add`), the number and the collection id (`takeOff`).
 */
export const chunkCountSql = {
  add: `INSERT INTO collection_usage (collection_id, stored_bytes, chunks) VALUES (?, 0, ?)
    ON CONFLICT (collection_id) DO UPDATE SET chunks = chunks + excluded.chunks`,
  takeOff: 'UPDATE collection_usage SET chunks = chunks - ? WHERE collection_id = ?',
};

const tables = `CREATE TABLE document_counts (
    collection_id TEXT NOT NULL,
    state TEXT NOT NULL,
    error_code TEXT NOT NULL,
    documents INTEGER NOT NULL,
    PRIMARY KEY (collection_id, state, error_code)
  ) WITHOUT ROWID;
  CREATE TABLE collection_usage (
    collection_id TEXT PRIMARY KEY,
    stored_bytes INTEGER NOT NULL,
    chunks INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE tenant_usage (
    tenant_id TEXT PRIMARY KEY,
    stored_bytes INTEGER NOT NULL
  ) WITHOUT ROWID;`;

const triggers = `CREATE TRIGGER counts_document_inserted AFTER INSERT ON documents BEGIN
    ${countIn('NEW')}
    ${fileIn('NEW')}
  END;
  CREATE TRIGGER counts_document_deleted AFTER DELETE ON documents BEGIN
    ${countOut('OLD')}
    ${fileOut('OLD')}
  END;
  CREATE TRIGGER counts_document_moved AFTER UPDATE OF collection_id, state, error_code ON documents
    WHEN OLD.collection_id IS NOT NEW.collection_id OR OLD.state IS NOT NEW.state OR ${codeOf('OLD')} IS NOT ${codeOf('NEW')}
  BEGIN
    ${countOut('OLD')}
    ${countIn('NEW')}
  END;
  CREATE TRIGGER counts_document_file_changed AFTER UPDATE OF collection_id, sha256, size_bytes ON documents
    WHEN OLD.collection_id IS NOT NEW.collection_id OR OLD.sha256 IS NOT NEW.sha256 OR OLD.size_bytes IS NOT NEW.size_bytes
  BEGIN
    ${fileOut('OLD')}
    ${fileIn('NEW')}
  END;
  CREATE TRIGGER counts_collection_deleted AFTER DELETE ON collections BEGIN
    DELETE FROM document_counts WHERE collection_id = OLD.id;
    DELETE FROM collection_usage WHERE collection_id = OLD.id;
  END;
  CREATE TRIGGER counts_tenant_deleted AFTER DELETE ON tenants BEGIN
    DELETE FROM tenant_usage WHERE tenant_id = OLD.id;
  END;`;

/** The counters of the rows already there, from documents, chunks and chunk_stage. */
const fill = `INSERT INTO document_counts (collection_id, state, error_code, documents)
    SELECT collection_id, state, CASE WHEN state = 'failed' THEN coalesce(error_code, '') ELSE '' END, count(*)
      FROM documents GROUP BY 1, 2, 3;
  INSERT INTO collection_usage (collection_id, stored_bytes, chunks) SELECT id, 0, 0 FROM collections;
  UPDATE collection_usage SET stored_bytes = held.bytes
    FROM (SELECT collection_id, sum(size_bytes) AS bytes
      FROM (SELECT DISTINCT collection_id, sha256, size_bytes FROM documents WHERE sha256 != '') GROUP BY collection_id) held
    WHERE held.collection_id = collection_usage.collection_id;
  UPDATE collection_usage SET chunks = counted.n
    FROM (SELECT collection_id, count(*) AS n FROM chunks GROUP BY collection_id) counted
    WHERE counted.collection_id = collection_usage.collection_id;
  UPDATE collection_usage SET chunks = chunks - staged.n
    FROM (SELECT collection_id, count(*) AS n FROM chunk_stage GROUP BY collection_id) staged
    WHERE staged.collection_id = collection_usage.collection_id;
  INSERT INTO tenant_usage (tenant_id, stored_bytes)
    SELECT t.id, coalesce((SELECT sum(size_bytes) FROM (SELECT DISTINCT d.sha256, d.size_bytes
        FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.tenant_id = t.id AND d.sha256 != '')), 0)
      FROM tenants t;`;

/** The migration that creates the counters, their triggers, and fills them from the rows already there. */
export const usageCountsMigration = `${tables}
  ${triggers}
  ${fill}`;
