import type { Command } from 'commander';
import { documentStates } from '../core/states.js';
import type { JobsFlags } from './jobs-action.js';

export function registerJobsCommand(program: Command): void {
  program
    .command('jobs')
    .description('list batches with their progress, or the documents of one batch or state')
    .option('-b, --batch <id>', 'list the documents of this batch')
    .option('-s, --state <state>', `list documents in this state (${documentStates.join(', ')})`)
    .option('-n, --limit <n>', 'how many rows', '20')
    .option('--json', 'print JSON')
    .action(async (flags: JobsFlags) => {
      const { runJobs } = await import('./jobs-action.js');
      await runJobs(flags);
    });
}
