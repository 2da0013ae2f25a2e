import pg from 'pg';
import type { Store } from '../../ports/store.js';
import { createPgBlobReferences } from './pg-blob-references.js';
import { createPgChunkIndex } from './pg-chunk-index.js';
import { createPgCollections } from './pg-collections.js';
import { createPgCopies } from './pg-copies.js';
import { createPgContext } from './pg-context.js';
import { createPgDispatch } from './pg-dispatch.js';
import { createPgEmbeddingCache } from './pg-embedding-cache.js';
import { createPgEventLog } from './pg-events.js';
import { createPgHousekeeping } from './pg-housekeeping.js';
import { createPgIdempotency } from './pg-idempotency.js';
import { createPgLedger } from './pg-ledger.js';
import { createPgSources } from './pg-sources.js';
import { createPgStaging } from './pg-staging.js';
import { createPgUploads } from './pg-uploads.js';
import { migrate } from './pg-migrations.js';
import { createPgPublish } from './pg-publish.js';
import { sessionSql } from './pg-sql.js';
import { createPgTenancy } from './pg-tenancy.js';
import { createPgTransitions } from './pg-transitions.js';
import { createPgWorkerRegistry } from './pg-workers.js';

export interface PgStoreOptions {
  /** A `postgres://` URL of a database with the pgvector extension available. */
  connectionString: string;
  /** @defaultValue 10 */
  maxConnections?: number;
}

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
 * the attempt id, so any number of API nodes and workers can share it. Each role of the `Store` port
 * is its own file over one shared context; their SQL is in `pg-sql.ts`.
 */
export async function createPgStore(options: PgStoreOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10, types });
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on('error', () => undefined);
  await migrate(pool);

  const context = createPgContext(pool);
  const collections = createPgCollections(context);
  return {
    ...createPgTenancy(context, (id) => collections.deleteCollection(id)),
    ...collections,
    ...createPgLedger(context),
    ...createPgUploads(context),
    ...createPgStaging(context),
    ...createPgDispatch(context),
    ...createPgTransitions(context),
    ...createPgCopies(context),
    ...createPgPublish(context),
    ...createPgChunkIndex(context, collections),
    ...createPgEventLog(context),
    ...createPgEmbeddingCache(context),
    ...createPgWorkerRegistry(context),
    ...createPgIdempotency(context),
    ...createPgBlobReferences(context),
    ...createPgSources(context),
    ...createPgHousekeeping(context),

    async ping() {
      await pool.query(sessionSql.ping);
    },
    async close() {
      await pool.end();
    },
  };
}
