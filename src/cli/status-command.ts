import type { Command } from 'commander';
import type { StatusFlags } from './status-action.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('live workers, queue depths, documents per state and throughput (of this ledger and queue)')
    .option('--json', 'print JSON')
    .action(async (flags: StatusFlags) => {
      // Each command's body loads when it runs, so that the others, and --help, start without it.
      const { runStatus } = await import('./status-action.js');
      await runStatus(flags);
    });
}
