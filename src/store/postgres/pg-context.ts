import type { QueryResultRow } from 'pg';
import { withConnection, type PgPool, type PgQueryable, type PgResult } from './pg-connection.js';
import { asUnavailable } from './pg-connection-errors.js';
import { sessionSql } from './pg-sql.js';

export type { PgPool, PgPoolClient, PgQueryable, PgResult } from './pg-connection.js';

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

/** The pool with every failure of a lost connection made `dependency_unavailable` (see `asUnavailable`). */
function guarded(pool: PgPool): PgPool {
  return {
    async query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<PgResult<R>> {
      try {
        return await pool.query<R>(text, values);
      } catch (error) {
        throw asUnavailable(error);
      }
    },
    async connect() {
      try {
        return await pool.connect();
      } catch (error) {
        throw asUnavailable(error);
      }
    },
    end: () => pool.end(),
  };
}

export function createPgContext(raw: PgPool): PgContext {
  const pool = guarded(raw);
  const query = async <R extends QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> =>
    (await pool.query<R>(sql, params)).rows;
  const one = async <R extends QueryResultRow>(sql: string, params: unknown[] = []): Promise<R | undefined> =>
    (await query<R>(sql, params))[0];
  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    (await query<{ n: number }>(sql, params))[0]?.n ?? 0;

  const transaction = <T>(work: (client: PgQueryable) => Promise<T>): Promise<T> =>
    withConnection(pool, async (client) => {
      try {
        await client.query(sessionSql.begin);
        const result = await work(client);
        await client.query(sessionSql.commit);
        return result;
      } catch (error) {
        await client.query(sessionSql.rollback).catch(() => undefined);
        throw asUnavailable(error);
      }
    });

  return { pool, query, one, count, transaction };
}
