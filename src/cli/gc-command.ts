import type { Command } from 'commander';
import type { GcFlags } from './gc-action.js';

export function registerGcCommand(program: Command): void {
  program
    .command('gc')
    .description(
      'sweep now: raw files nothing refers to, bookkeeping past retention, dead uploads, and the leftovers of deleted rows in the database (safe while a server runs)',
    )
    .option('--json', 'print the report as JSON')
    .option('--wait <seconds>', 'how long to wait for a sweep another process is running', '120')
    .action(async (flags: GcFlags) => {
      const { runGc } = await import('./gc-action.js');
      await runGc(flags);
    });
}
