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
        const resumed = await app.startWorkers();
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
