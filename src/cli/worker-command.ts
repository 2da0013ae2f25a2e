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
      process.exitCode = await withApp(
        flags,
        async (app) => {
          // With the in-process queue, a long-running worker polls the ledger for what `serve
          // --no-workers` or `ingest --no-wait` record later; a shared queue delivers those itself.
          const poll = !flags.untilIdle && !app.queue.shared ? { pollLedgerMs: 1000 } : {};
          const resumed = await app.startWorkers(poll);
          print(`worker started; ${resumed} unfinished documents resumed`);
          if (flags.untilIdle) {
            await app.queue.idle();
            return 0;
          }
          // Runs until SIGINT/SIGTERM, which withApp turns into a clean shutdown.
          await new Promise<never>(() => undefined);
          return 0;
        },
        { defaultLogLevel: 'info' },
      );
    });
}
