import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { createRedisRateLimiter } from '../../src/limits/redis-rate-limiter.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { describeRateLimiterContract } from './rate-limiter-contract.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.stop());

// Redis keeps the time (its TIME), so the window is shortened from a minute and waited out for real.
const windowMs = 600;

describeRateLimiterContract(
  'redis',
  async (limits) => {
    const connection = new Redis(redis.url);
    return {
      limiter: createRedisRateLimiter({ redis: connection, key: `test:${newId('limit')}`, limits, windowMs }),
      windowMs,
      elapse: (ms) => sleep(ms),
      close: async () => {
        await connection.quit();
      },
    };
  },
  // Waiters for the window each ask Redis again after their wait (with jitter), so they race.
  { inOrderThroughWindow: false },
);
