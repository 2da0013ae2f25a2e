import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type ConfigInput, type SluiceConfig } from '../app/config.js';
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

export interface CommandConfigOptions {
  defaultLogLevel?: string;
  /** The command works on data already there: a data folder without it is an error, not made anew. */
  needsData?: boolean;
}

/** A command's configuration: its flags over the `SLUICE_*` environment over the defaults. */
export function loadCommandConfig(flags: CommonFlags, options: CommandConfigOptions = {}): SluiceConfig {
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
  return config;
}

/** A SluiceError becomes one readable line with its code, and exit code 1; anything else is a bug. */
export function reportCommandError(error: unknown): number {
  if (isSluiceError(error)) {
    printError(`error [${error.code}]: ${error.message}`);
    return 1;
  }
  throw error;
}
