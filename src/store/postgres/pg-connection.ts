import type { QueryResultRow } from 'pg';

/** What one statement returns: its rows, and how many it changed. */
export interface PgResult<R> {
  rows: R[];
  rowCount: number | null;
}

/** Anything that runs a statement: the pool, or the one connection of a transaction. */
export interface PgQueryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<PgResult<R>>;
}

/** A connection taken from the pool; it goes back with `release`. */
export interface PgPoolClient extends PgQueryable {
  /** Gives the connection back; with an error, the pool closes it instead. */
  release(error?: Error): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * The pool as the store uses it: a minimal structural type of `pg.Pool` (Kysely's `PostgresPool`), so
 * the role files depend on what they call and not on the driver.
 */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
}

/**
 * Runs `work` on a connection taken from the pool. A checked-out connection that is lost (the server
 * restarted, the session was terminated) emits `error` with no listener of the pool's to take it, which
 * would end the process: here the error is kept, the operation fails, and the broken connection is
 * closed rather than given back.
 */
export async function withConnection<T>(pool: PgPool, work: (client: PgPoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error): void => {
    lost = error;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}
