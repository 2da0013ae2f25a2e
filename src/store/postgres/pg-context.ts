import type { QueryResultRow } from 'pg';
import { sessionSql } from './pg-sql.js';

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
  release(): void;
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
 * What every role of the store works over: one pool and the few ways it is used. Plain functions, so
 * that a role may take the ones it needs apart.
 */
export interface PgContext {
  pool: PgPool;
  /** The rows of one statement on the pool. */
  query: <R extends QueryResultRow>(sql: string, params?: unknown[]) => Promise<R[]>;
  /** The first row of one statement on the pool, if any. */
  one: <R extends QueryResultRow>(sql: string, params?: unknown[]) => Promise<R | undefined>;
  /** The `n` of a `count(*)::int AS n` statement. */
  count: (sql: string, params?: unknown[]) => Promise<number>;
  /** Runs `work` in one transaction on one connection; never touch the pool inside it. */
  transaction: <T>(work: (client: PgQueryable) => Promise<T>) => Promise<T>;
}

/** Whether a statement of one row changed it. */
export const changed = (result: PgResult<unknown>): boolean => result.rowCount === 1;

export function createPgContext(pool: PgPool): PgContext {
  const query = async <R extends QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> =>
    (await pool.query<R>(sql, params)).rows;
  const one = async <R extends QueryResultRow>(sql: string, params: unknown[] = []): Promise<R | undefined> =>
    (await query<R>(sql, params))[0];
  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    (await query<{ n: number }>(sql, params))[0]?.n ?? 0;

  const transaction = async <T>(work: (client: PgQueryable) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query(sessionSql.begin);
      const result = await work(client);
      await client.query(sessionSql.commit);
      return result;
    } catch (error) {
      await client.query(sessionSql.rollback).catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };

  return { pool, query, one, count, transaction };
}
