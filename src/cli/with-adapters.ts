import type { SluiceConfig } from '../app/config.js';
import { createAdapters, redisCommandTimeoutMs, type Adapters } from '../app/create-adapters.js';
import type { JobQueue, Logger, Store } from '../ports/index.js';
import {
  loadCommandConfig,
  reportCommandError,
  type CommandConfigOptions,
  type CommonFlags,
} from './command-config.js';
import { printError } from './output.js';
import { configEnvNames } from '../app/config-env-names.js';
import { SluiceError } from '../core/errors.js';

/** What a command that only reads the ledger and the queue works with. */
export interface AdaptersContext {
  config: SluiceConfig;
  store: Store;
  queue: JobQueue;
}

/**
 * As `withApp`, for a command that needs only the store and the queue: it builds those alone, not the
 * embedder, metrics, parsers and workers, so a quick look starts without loading what it never uses.
 * No Ctrl-C handling: these commands only read, so stopping one mid-way loses nothing.
 */
export async function withAdapters(
  flags: CommonFlags,
  run: (context: AdaptersContext) => Promise<number>,
  options: CommandConfigOptions = {},
): Promise<number> {
  let adapters: Adapters | undefined;
  let logger: DeferredLogger | undefined;
  let graceMs: number | undefined;
  try {
    const config = loadCommandConfig(flags, options);
    graceMs = config.shutdownGraceMs;
    logger = createDeferredLogger(config.logLevel);
    adapters = await createAdapters(config, logger);
    if (config.redisUrl) {
      await answered(adapters.queue.stats(), redisCommandTimeoutMs);
    }
    return await run({ config, store: adapters.store, queue: adapters.queue });
  } catch (error) {
    return reportCommandError(error);
  } finally {
    // In the order the app closes them: the queue, the connections beside it, then the store.
    await adapters?.queue.close(graceMs);
    await adapters?.close();
    await adapters?.store.close();
    await logger?.written();
  }
}

/**
 * Waits for the queue's first answer, failing with `dependency_unavailable` when it does not come in
 * time: a server waits for Redis to come back, but a quick look must not hang while it is away.
 */
async function answered(check: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SluiceError(
            'dependency_unavailable',
            `Redis (${configEnvNames.redisUrl}) did not answer within ${ms / 1000} s: is it running and reachable?`,
          ),
        ),
      ms,
    );
  });
  try {
    await Promise.race([check, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface DeferredLogger extends Logger {
  /** Settles once every line logged so far is written. */
  written(): Promise<void>;
}

/**
 * The app's logger, loaded with the first line logged: these commands log only when something goes
 * wrong, and pino is a noticeable share of their start. Lines logged meanwhile wait for it, in order.
 */
function createDeferredLogger(level: string): DeferredLogger {
  let logger: Logger | undefined;
  let loading: Promise<void> | undefined;
  const waiting: (() => void)[] = [];
  const method =
    (name: keyof Logger) =>
    (fields: object, message: string): void => {
      if (logger) {
        logger[name](fields, message);
        return;
      }
      waiting.push(() => logger?.[name](fields, message));
      loading ??= import('../app/create-logger.js')
        .then(({ createLogger }) => {
          logger = createLogger(level);
          for (const line of waiting.splice(0)) {
            line();
          }
        })
        // A logger that cannot load must not crash a command that only reads: it says so on stderr, and
        // the lines waiting for it are dropped.
        .catch((error: unknown) => {
          printError(`logger unavailable: ${error instanceof Error ? error.message : String(error)}`);
          waiting.length = 0;
        });
    };
  return {
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    written: () => loading ?? Promise.resolve(),
  };
}
