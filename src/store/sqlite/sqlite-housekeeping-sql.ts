import { pruneStagedSql, unfinishedSql } from '../document-sql.js';

/** Retention, leases and the sweeps' reports: the SQL of `sqlite-housekeeping.ts`. */
export const housekeepingSql = {
  /** Batches with nothing left to run whose last change is before the cutoff. */
  pruneEvents: `DELETE FROM events WHERE batch_id IN (
    SELECT b.id FROM batches b
     WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.batch_id = b.id AND d.state IN (${unfinishedSql}))
       AND coalesce((SELECT max(d.updated_at) FROM documents d WHERE d.batch_id = b.id), b.created_at) < ?)`,
  /** Events of batches removed since (their collection was deleted). */
  pruneOrphanEvents: `DELETE FROM events WHERE batch_id IN (
    SELECT DISTINCT e.batch_id FROM events e WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = e.batch_id))`,
  pruneBatches: `DELETE FROM batches WHERE created_at < ?
    AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.batch_id = batches.id)`,
  pruneIdempotency: 'DELETE FROM idempotency_keys WHERE created_at < ?',
  pruneHolds: 'DELETE FROM blob_holds WHERE expires_at < ?',
  pruneStaged: pruneStagedSql,
  collections: 'SELECT id, dimension FROM collections',
  /** Rows of a sqlite-vec table's storage: its chunks (each `vectorChunkSize` slots), and its live vectors. */
  vectorChunks: (vectors: string): string => `SELECT count(*) FROM "${vectors}_chunks"`,
  vectorRows: (vectors: string): string => `SELECT count(*) FROM "${vectors}_rowids"`,
  /** Steps that rebuild a sqlite-vec table with its live vectors only, under the same name and rowids. */
  rebuildVectors: (vectors: string, create: string): string[] => [
    `CREATE TEMP TABLE sluice_kept_vectors AS SELECT rowid AS id, embedding FROM ${vectors}`,
    `DROP TABLE ${vectors}`,
    create,
    `INSERT INTO ${vectors} (rowid, embedding) SELECT id, embedding FROM temp.sluice_kept_vectors ORDER BY id`,
    'DROP TABLE temp.sluice_kept_vectors',
  ],

  /** Takes the lease if free, lapsed or the holder's (name, holder, expiry, now). */
  takeLease: `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE leases.expires_at < ? OR leases.holder = excluded.holder`,
  releaseLease: 'DELETE FROM leases WHERE name = ? AND holder = ?',
  leaseHolder: 'SELECT holder FROM leases WHERE name = ? AND expires_at >= ?',
  recordSweep: `INSERT INTO sweeps (name, report, recorded_at) VALUES ('last', ?, ?)
    ON CONFLICT (name) DO UPDATE SET report = excluded.report, recorded_at = excluded.recorded_at`,
  lastSweep: "SELECT report FROM sweeps WHERE name = 'last'",
};
