import { loadConfig, type ConfigInput } from '../app/config.js';
import { createApp, type AppContext } from '../app/create-app.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isSluiceError, SluiceError } from '../core/errors.js';
import { printError } from './output.js';

export interface CommonFlags {
  dataDir?: string;
  logLevel?: string;
  concurrency?: string;
  chunkTokens?: string;
  chunkOverlap?: string;
  embedBatchSize?: string;
  maxFileBytes?: string;
  port?: string;
  host?: string;
  workers?: string | boolean;
}

/**
 * Whether a required option was given; if not, says so and sets exit code 1. Checked in the action
 * rather than by commander, which reports a required option missing before an unknown one
 * (`--colection x`).
 */
export function given(value: string | undefined, option: string): value is string {
  if (value === undefined) {
    printError(`error [invalid_input]: required option '${option}' not specified`);
    process.exitCode = 1;
    return false;
  }
  return true;
}

/** What shutdown may take past the grace running documents get, before the process ends regardless. */
const shutdownMarginMs = 5_000;

/**
 * Ends the process if shutting down takes longer than the grace and a margin: a dependency that is
 * away (Redis, PostgreSQL) must not keep a stopped process alive until a supervisor kills it.
 */
export function boundShutdown(graceMs: number): void {
  setTimeout(() => {
    printError(
      `error [dependency_unavailable]: shutdown did not finish within ${graceMs + shutdownMarginMs} ms; exiting`,
    );
    process.exit(1);
  }, graceMs + shutdownMarginMs).unref();
}

/**
 * Builds one app context for a command, runs it, and always shuts it down; SluiceErrors become one
 * readable line with their code, and Ctrl-C stops cleanly (unfinished work resumes next time).
 */
export async function withApp(
  flags: CommonFlags,
  run: (app: AppContext) => Promise<number>,
  options: {
    handleSignals?: boolean;
    servesRequests?: boolean;
    defaultLogLevel?: string;
    /** The command works on data already there: a data folder without it is an error, not made anew. */
    needsData?: boolean;
  } = {},
): Promise<number> {
  let app: AppContext | undefined;
  // SIGTERM is how supervisors stop a service: a clean drain then exits 0. Ctrl-C keeps the shell's 130.
  const stop = (signal: NodeJS.Signals): void => {
    printError('\nstopping; unfinished documents resume on the next run');
    boundShutdown(app?.config.shutdownGraceMs ?? 10_000);
    void app?.close().finally(() => process.exit(signal === 'SIGTERM' ? 0 : 130));
  };
  try {
    const overrides: ConfigInput = {
      dataDir: flags.dataDir,
      // Long-running commands log more by default, but SLUICE_LOG_LEVEL still overrides that default.
      logLevel: flags.logLevel ?? (process.env.SLUICE_LOG_LEVEL ? undefined : options.defaultLogLevel),
      concurrency: flags.concurrency,
      chunkTokens: flags.chunkTokens,
      chunkOverlap: flags.chunkOverlap,
      embedBatchSize: flags.embedBatchSize,
      maxFileBytes: flags.maxFileBytes,
      port: flags.port,
      host: flags.host,
      workers: flags.workers,
    };
    const config = loadConfig(process.env, overrides);
    if (options.needsData && !config.databaseUrl && !existsSync(join(config.dataDir, 'sluice.db'))) {
      throw new SluiceError(
        'not_found',
        `No Sluice data in ${config.dataDir}: ingest files or start \`sluice serve\` there first, or name the folder with --data-dir`,
      );
    }
    app = await createApp(config, { servesRequests: options.servesRequests === true });
    if (options.handleSignals !== false) {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    return await run(app);
  } catch (error) {
    if (isSluiceError(error)) {
      printError(`error [${error.code}]: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await app?.close();
  }
}
