import type Database from 'better-sqlite3';

/** A connection's statements, compiled once per SQL text (table names vary by collection, so a map). */
export interface StatementCache {
  <P extends unknown[] | object = unknown[], R = unknown>(sql: string): Database.Statement<P, R>;
  /** Forgets every statement: dropped tables change the schema, and statements on them must not be reused. */
  clear(): void;
}

export function statementCache(db: Database.Database): StatementCache {
  const statements = new Map<string, Database.Statement>();
  const get = <P extends unknown[] | object = unknown[], R = unknown>(sql: string): Database.Statement<P, R> => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement as Database.Statement<P, R>;
  };
  return Object.assign(get, { clear: () => statements.clear() });
}
