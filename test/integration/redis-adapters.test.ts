import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createAdapters } from '../../src/app/create-adapters.js';
import { createRedisEventBus } from '../../src/events/redis-event-bus.js';
import type { StoredEvent } from '../../src/ports/event-bus.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.stop());

describe('Redis adapters', () => {
  it('delivers every event published by one process to the listeners of another, with its log sequence', async () => {
    const store = createSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'sluice-bus-')), 'db') });
    const connections: Redis[] = [];
    const connect = () => {
      const c = new Redis(redis.url);
      connections.push(c);
      return c;
    };
    const fail = (error: unknown) => {
      throw error;
    };
    // Two buses on separate connections stand for a worker process and an API node.
    const worker = createRedisEventBus({
      store,
      publisher: connect(),
      connectSubscriber: connect,
      channel: 'test:events',
      onListenerError: fail,
    });
    const api = createRedisEventBus({
      store,
      publisher: connect(),
      connectSubscriber: connect,
      channel: 'test:events',
      onListenerError: fail,
    });
    const heard: StoredEvent[] = [];
    api.subscribe((e) => heard.push(e));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const at = new Date().toISOString();
    for (let i = 0; i < 5; i++) {
      await worker.publish({
        type: 'document.progress',
        documentId: 'd1',
        batchId: 'b1',
        chunksEmbedded: i,
        chunksTotal: 5,
        at,
      });
    }
    await expect.poll(() => heard.length).toBe(5);
    expect(heard.map((e) => (e.type === 'document.progress' ? e.chunksEmbedded : -1))).toEqual([0, 1, 2, 3, 4]);
    // The log holds the same events with the same sequence numbers, for streams that resume.
    expect((await store.listEvents({ batchId: 'b1', afterSeq: 0, limit: 10 })).map((e) => e.seq)).toEqual(
      heard.map((e) => e.seq),
    );
    worker.close();
    api.close();
    connections.forEach((c) => c.disconnect());
    await store.close();
  });

  it('warns loudly at start when Redis may evict keys, since evicted jobs are lost', async () => {
    const admin = new Redis(redis.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (_fields: object, message: string) => warnings.push(message),
    };
    const config = loadConfig({}, { redisUrl: redis.url, dataDir: mkdtempSync(join(tmpdir(), 'sluice-evict-')) });
    try {
      const adapters = await createAdapters(config, logger);
      expect(warnings.join('\n')).toMatch(/maxmemory-policy is "allkeys-lru".*Set it to "noeviction"/);
      await adapters.queue.close();
      await adapters.close();
      await adapters.store.close();
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      admin.disconnect();
    }
  });
});
