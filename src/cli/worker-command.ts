import type { Command } from 'commander';
import type { WorkerFlags } from './worker-action.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('process queued documents (resuming any left unfinished) until stopped')
    .option('--until-idle', 'exit once nothing is left to do')
    .action(async (flags: WorkerFlags) => {
      const { runWorker } = await import('./worker-action.js');
      await runWorker(flags);
    });
}
