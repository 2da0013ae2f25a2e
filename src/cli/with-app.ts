import type { AppContext } from '../app/create-app.js';
import { printError } from './output.js';
import {
  loadCommandConfig,
  reportCommandError,
  type CommandConfigOptions,
  type CommonFlags,
} from './command-config.js';

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
  options: CommandConfigOptions & { handleSignals?: boolean; servesRequests?: boolean } = {},
): Promise<number> {
  let app: AppContext | undefined;
  // SIGTERM is how supervisors stop a service: a clean drain then exits 0. Ctrl-C keeps the shell's 130.
  const stop = (signal: NodeJS.Signals): void => {
    printError('\nstopping; unfinished documents resume on the next run');
    boundShutdown(app?.config.shutdownGraceMs ?? 10_000);
    void app?.close().finally(() => process.exit(signal === 'SIGTERM' ? 0 : 130));
  };
  try {
    const config = loadCommandConfig(flags, options);
    // Loaded only once a command builds the app: `ingest --server`, which imports this module too, never does.
    const { createApp } = await import('../app/create-app.js');
    app = await createApp(config, { servesRequests: options.servesRequests === true });
    if (options.handleSignals !== false) {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    return await run(app);
  } catch (error) {
    return reportCommandError(error);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await app?.close();
  }
}
