import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { createBullmqQueue } from '../../src/queue/bullmq/bullmq-queue.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { describeQueueContract } from './queue-contract.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.stop());

describeQueueContract('bullmq', async () =>
  createBullmqQueue({
    connect: () => new Redis(redis.url, { maxRetriesPerRequest: null }),
    // A prefix per queue keeps the tests apart on one server.
    prefix: newId('test'),
    onJobLost: (documentId, reason) => {
      throw new Error(`job ${documentId} lost: ${reason}`);
    },
    onError: (error) => {
      throw error;
    },
  }),
);
