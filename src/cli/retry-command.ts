import type { Command } from 'commander';
import type { RetryFlags } from './retry-action.js';

export function registerRetryCommand(program: Command): void {
  program
    .command('retry')
    .description('queue failed (or cancelled) documents again and process them')
    .option('--failed', 'retry failed documents')
    .option('--cancelled', 'retry cancelled documents')
    .option('-b, --batch <id>', 'only documents of this batch')
    .option('-c, --collection <name>', 'only documents of this collection')
    .option('--no-wait', 'queue them and return')
    .action(async (flags: RetryFlags) => {
      const { runRetry } = await import('./retry-action.js');
      await runRetry(flags);
    });
}
