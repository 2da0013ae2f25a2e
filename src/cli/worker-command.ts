import type { Command } from 'commander';
import { print } from './output.js';
import { withApp, type CommonFlags } from './with-app.js';

interface WorkerFlags extends CommonFlags {
  untilIdle?: boolean;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('process queued documents (resuming any left unfinished) until stopped')
    .option('--until-idle', 'exit once nothing is left to do')
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await withApp({ logLevel: 'info', ...flags }, async (app) => {
        // A long-running worker also takes what `serve --no-workers` or `ingest --no-wait` queue later.
        const resumed = await app.startWorkers(flags.untilIdle ? {} : { pollLedgerMs: 1000 });
        print(`worker started; ${resumed} unfinished documents resumed`);
        if (flags.untilIdle) {
          await app.queue.idle();
          return 0;
        }
        // Runs until SIGINT/SIGTERM, which withApp turns into a clean shutdown.
        await new Promise<never>(() => undefined);
        return 0;
      });
    });
}
