import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { newId } from '../../src/core/ids.js';
import { startSerializingProxy } from './serializing-proxy.js';

export interface TestPostgres {
  /**
   * The URL of an empty database. With `TEST_DATABASE_URL` each call gives a new schema (pgvector
   * stays in `public`). PGlite has a single backend session that all connections share, so a session
   * setting cannot isolate schemas there: each call empties `public` instead, and the store that used
   * it before must be closed by then.
   */
  freshDatabaseUrl(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Postgres with pgvector for tests: `TEST_DATABASE_URL` when given, else PGlite with its pgvector
 * extension served over the wire protocol by pglite-socket on a free port of 127.0.0.1 (behind a
 * proxy that keeps concurrent connections' requests whole), so the store talks to it through the real
 * `pg` driver, from any number of processes, exactly as it would to a server.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  let baseUrl = process.env.TEST_DATABASE_URL;
  const shared = baseUrl !== undefined;
  let stopServer = async (): Promise<void> => undefined;
  if (!baseUrl) {
    const db = await PGlite.create({ extensions: { vector } });
    const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 50 });
    await server.start();
    const [host = '127.0.0.1', port = '0'] = server.getServerConn().split(':');
    const proxy = await startSerializingProxy({ host, port: Number(port) });
    baseUrl = `postgres://postgres@127.0.0.1:${proxy.port}/postgres`;
    stopServer = async () => {
      await proxy.close();
      await server.stop();
      await db.close();
    };
  }
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS vector');
  const url = baseUrl;
  return {
    async freshDatabaseUrl() {
      if (!shared) {
        await admin.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION vector');
        return url;
      }
      const schema = newId('test');
      await admin.query(`CREATE SCHEMA ${schema}`);
      const withSchema = new URL(url);
      withSchema.searchParams.set('options', `-c search_path=${schema},public`);
      return withSchema.toString();
    },
    async stop() {
      await admin.end();
      await stopServer();
    },
  };
}
