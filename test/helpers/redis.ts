import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

export interface TestRedis {
  url: string;
  /**
   * Stops the server (SIGTERM, so an append-only file is flushed) for `downMs` and starts it again on
   * the same port; with `loseData`, on an empty folder, as a server without persistence comes back.
   */
  restart(downMs?: number, options?: { loseData?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

async function waitForPing(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      client.disconnect();
    }
  }
}

/**
 * A real redis-server for one test file: `TEST_REDIS_URL` when given (then `restart` is not
 * available), else a fresh server on a free port of 127.0.0.1 with its own folder, flushed to an
 * append-only file when `appendOnly` is set, as production should run it for BullMQ.
 */
export async function startTestRedis(options: { appendOnly?: boolean } = {}): Promise<TestRedis> {
  const given = process.env.TEST_REDIS_URL;
  if (given) {
    return {
      url: given,
      restart: () => Promise.reject(new Error('cannot restart a Redis given by TEST_REDIS_URL')),
      stop: () => Promise.resolve(),
    };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        options.appendOnly ? 'yes' : 'no',
        '--appendfsync',
        'always',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    await waitForPing(url);
  };
  const stopChild = async (): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null) {
      return;
    }
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };
  await start();
  return {
    url,
    async restart(downMs = 500, restartOptions = {}) {
      await stopChild();
      if (restartOptions.loseData) {
        for (const name of readdirSync(dir)) {
          rmSync(join(dir, name), { recursive: true, force: true });
        }
      }
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    stop: stopChild,
  };
}

/**
 * What Sluice leaves in a Redis: its memory in use, and how many keys still belong to a document's
 * job or one of its batch jobs (their ids start with the document id).
 */
export async function redisFootprint(url: string): Promise<{ usedBytes: number; jobKeys: number }> {
  const redis = new Redis(url);
  try {
    const usedBytes = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    let jobKeys = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'sluice:*:doc_*', 'COUNT', 1000);
      jobKeys += keys.length;
      cursor = next;
    } while (cursor !== '0');
    return { usedBytes, jobKeys };
  } finally {
    redis.disconnect();
  }
}
