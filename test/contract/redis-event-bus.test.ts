import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { createRedisEventBus } from '../../src/events/redis-event-bus.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { describeEventBusContract } from './event-bus-contract.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.stop());

describeEventBusContract(
  'redis',
  async (log) => {
    const connections: Redis[] = [];
    const connect = (): Redis => {
      const connection = new Redis(redis.url);
      connections.push(connection);
      return connection;
    };
    const listenerErrors: unknown[] = [];
    // A channel per test keeps the tests apart on one server; each instance has connections of its own,
    // as another API node or worker process would.
    const channel = `test:${newId('events')}`;
    const instance = () =>
      createRedisEventBus({
        store: log,
        publisher: connect(),
        connectSubscriber: connect,
        channel,
        onListenerError: (error) => listenerErrors.push(error),
      });
    const bus = instance();
    const peer = instance();
    return {
      bus,
      peer,
      listenerErrors,
      close: async () => {
        bus.close();
        peer.close();
        await Promise.all(connections.map((connection) => connection.quit().catch(() => undefined)));
      },
    };
  },
  { acrossInstances: true },
);
