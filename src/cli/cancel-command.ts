import type { Command } from 'commander';
import type { CancelFlags } from './cancel-action.js';

export function registerCancelCommand(program: Command): void {
  program
    .command('cancel')
    .description('cancel documents that are queued or running (a running one stops at its next step)')
    .argument('[documentIds...]', 'documents to cancel')
    .option('-b, --batch <id>', 'cancel every unfinished document of this batch')
    .action(async (documentIds: string[], flags: CancelFlags) => {
      const { runCancel } = await import('./cancel-action.js');
      await runCancel(documentIds, flags);
    });
}
