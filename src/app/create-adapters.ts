import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { createLedgerEventBus } from '../events/ledger-event-bus.js';
import type { EventBus, JobQueue, Logger, Store, StoredEvent } from '../ports/index.js';
import { createLocalQueue } from '../queue/local/local-queue.js';
import type { SluiceConfig } from './config.js';

/** How long a Redis command on a request's path may take before it fails. */
export const redisCommandTimeoutMs = 5_000;

export interface Adapters {
  store: Store;
  queue: JobQueue;
  events: EventBus;
  /** A Redis connection for shared state across processes (rate limits); absent in embedded mode. */
  redis?: Redis;
  /** Hands this process's listeners an event its worker thread logged; only with the in-process bus. */
  deliverEvent?: (event: StoredEvent) => void;
  /** BullMQ queues to show in the dashboard (none with the in-process queue). */
  dashboardQueues: readonly Queue[];
  /** Called when BullMQ gave up on a job by itself (its worker died too often). */
  onJobLost(handler: (documentId: string, reason: string) => void): void;
  /** Closes what the adapters opened besides store and queue (the publisher and the event subscriber). */
  close(): Promise<void>;
}

/**
 * Picks the adapters from the configuration: PostgreSQL when `DATABASE_URL` is set (else the SQLite
 * file), BullMQ and Redis pub/sub when `REDIS_URL` is set (else the in-process queue and bus). Each
 * backend's modules load only when it is picked: BullMQ with ioredis and `pg` hold memory that an
 * embedded process has no use for (measured in BENCH.md).
 */
export async function createAdapters(
  config: SluiceConfig,
  logger: Logger,
  options: { writerGate?: SharedArrayBuffer; yieldToOtherWriters?: boolean; walAutocheckpointPages?: number } = {},
): Promise<Adapters> {
  const store = config.databaseUrl
    ? await (await import('../store/postgres/pg-store.js')).createPgStore({ connectionString: config.databaseUrl })
    : (await import('../store/sqlite/sqlite-store.js')).createSqliteStore({
        path: join(config.dataDir, 'sluice.db'),
        vectorScanBytes: config.vectorScanMb * 1024 * 1024,
        textRankLimit: config.textRankLimit,
        ...(options.writerGate
          ? { writerGate: options.writerGate, yieldToOtherWriters: options.yieldToOtherWriters === true }
          : {}),
        ...(options.walAutocheckpointPages === undefined
          ? {}
          : { walAutocheckpointPages: options.walAutocheckpointPages }),
        onTextSearchThreadFailed: (error) =>
          logger.warn({ err: error }, 'text-search thread failed; text searches run on the calling thread'),
        onVectorLoadFailed: (error) =>
          logger.warn(
            { err: error },
            "reading a collection's vectors on a thread failed; they are read on the searching thread",
          ),
      });
  const reportListenerError = (error: unknown): void => logger.error({ err: error }, 'event listener failed');
  let lost: (documentId: string, reason: string) => void = () => undefined;
  if (!config.redisUrl) {
    const events = createLedgerEventBus(store, reportListenerError);
    return {
      store,
      queue: createLocalQueue({
        onHandlerError: (error, job) =>
          logger.error(
            { err: error, documentId: job.documentId },
            'job handler kept failing; the job resumes on the next start',
          ),
      }),
      events,
      deliverEvent: (event) => events.deliver(event),
      dashboardQueues: [],
      onJobLost: () => undefined,
      close: () => Promise.resolve(),
    };
  }
  const [{ Redis }, { createBullmqQueue }, { createRedisEventBus }] = await Promise.all([
    import('ioredis'),
    import('../queue/bullmq/bullmq-queue.js'),
    import('../events/redis-event-bus.js'),
  ]);
  const redisUrl = config.redisUrl;
  // BullMQ workers block on Redis and must never give up a command: no retry limit per request.
  // Whoever opens a connection closes it: the queue its own, these adapters the publisher (and the
  // event bus its subscriber).
  const open = (options: RedisOptions): Redis => {
    const connection = new Redis(redisUrl, options);
    connection.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
    return connection;
  };
  const connect = (): Redis => open({ maxRetriesPerRequest: null });
  // Commands on a request's path (adding jobs, counting them, publishing events, rate limits) fail
  // after a timeout while Redis is away, so that the request answers 503 instead of hanging.
  const connectCommands = (): Redis => open({ maxRetriesPerRequest: 1, commandTimeout: redisCommandTimeoutMs });
  const publisher = connectCommands();
  await warnUnlessNoEviction(publisher, logger);
  const queue = createBullmqQueue({
    connect,
    connectCommands,
    prefix: config.redisPrefix,
    lockDurationMs: config.lockDurationMs,
    stalledIntervalMs: config.stalledIntervalMs,
    failedJobsKeptSeconds: Math.round(config.retainFailedJobsHours * 3600),
    // A worker that dies with the document counts as a try: a file that kills every worker ends failed.
    maxStalledCount: config.maxAttempts,
    onJobLost: (documentId, reason) => lost(documentId, reason),
    onError: (error) => logger.error({ err: error }, 'queue error'),
  });
  const events = createRedisEventBus({
    store,
    publisher,
    connectSubscriber: connect,
    channel: `${config.redisPrefix}:events`,
    onListenerError: reportListenerError,
  });
  return {
    store,
    queue,
    events,
    dashboardQueues: queue.bullQueues,
    redis: publisher,
    onJobLost(handler) {
      lost = handler;
    },
    close() {
      events.close();
      publisher.disconnect();
      return Promise.resolve();
    },
  };
}

/** BullMQ loses jobs if Redis evicts keys under memory pressure; say so loudly at start. */
async function warnUnlessNoEviction(redis: Redis, logger: Logger): Promise<void> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy !== undefined && policy !== 'noeviction') {
      logger.warn(
        { policy },
        `Redis maxmemory-policy is "${policy}": under memory pressure Redis will evict queue keys and jobs will be lost. Set it to "noeviction".`,
      );
    }
  } catch (error) {
    // Managed Redis services often refuse CONFIG; the check is advice, not a requirement.
    logger.warn({ err: error }, 'could not read Redis maxmemory-policy; make sure it is "noeviction"');
  }
}
