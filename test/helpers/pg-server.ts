import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';

/** A PostgreSQL server of the machine's own, private to a test file: its own cluster on a free port. */
export interface PgServer {
  /** A new, empty database of the server with pgvector created in it. */
  freshDatabaseUrl(): Promise<string>;
  /** Stops the server at once (`pg_ctl stop -m immediate`: every session is cut, as a crash would). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Ends every session of the databases it made (`pg_terminate_backend`). */
  terminateSessions(): Promise<number>;
  /** Stops the server for good and removes its files. */
  destroy(): Promise<void>;
}

/** The newest PostgreSQL server installed (Debian's layout). */
function serverBin(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(a) - Number(b));
  const newest = versions.at(-1);
  if (!newest) {
    throw new Error('No PostgreSQL server in /usr/lib/postgresql: run scripts/ensure-test-prerequisites.sh');
  }
  return join('/usr/lib/postgresql', newest, 'bin');
}

/**
 * Starts a private PostgreSQL server from the machine's binaries (initdb, pg_ctl) with pgvector, which
 * `scripts/install-pgvector.sh` installs (the tests' prerequisites run it). As root, the cluster
 * belongs to the `postgres` user, since the server refuses to run as root.
 */
export async function startPgServer(): Promise<PgServer> {
  const bin = serverBin();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  const owner = asRoot ? (JSON.parse(execFileSync('id', ['-u', 'postgres']).toString()) as number) : undefined;
  if (owner !== undefined) {
    chownSync(dir, owner, owner);
    chmodSync(dir, 0o700);
  }
  const run = (command: string, args: string[]): void => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]]
      : [join(bin, command), args];
    execFileSync(file, argv, { stdio: 'pipe' });
  };
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const start = (): Promise<void> => {
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      'start',
    ]);
    return Promise.resolve();
  };
  await start();
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const inDatabase = async <T>(name: string, work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: `${base}/${name}` });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  let databases = 0;
  return {
    async freshDatabaseUrl() {
      const name = `sluice_${++databases}`;
      await inDatabase('postgres', (client) => client.query(`CREATE DATABASE ${name}`));
      await inDatabase(name, (client) => client.query('CREATE EXTENSION vector'));
      return `${base}/${name}`;
    },
    stop: () => Promise.resolve(run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])),
    start,
    terminateSessions: () =>
      inDatabase(
        'postgres',
        async (client) =>
          (
            await client.query(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname LIKE 'sluice%' AND pid <> pg_backend_pid()",
            )
          ).rowCount ?? 0,
      ),
    async destroy() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
