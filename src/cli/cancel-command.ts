import type { Command } from 'commander';
import { SluiceError } from '../core/errors.js';
import { print } from './output.js';
import { withApp, type CommonFlags } from './with-app.js';

interface CancelFlags extends CommonFlags {
  batch?: string;
}

export function registerCancelCommand(program: Command): void {
  program
    .command('cancel')
    .description('cancel documents that are queued or running (a running one stops at its next step)')
    .argument('[documentIds...]', 'documents to cancel')
    .option('-b, --batch <id>', 'cancel every unfinished document of this batch')
    .action(async (documentIds: string[], flags: CancelFlags) => {
      process.exitCode = await withApp(
        flags,
        async (app) => {
          for (const id of documentIds) {
            if (!(await app.store.getDocument(id))) {
              throw new SluiceError('not_found', `No document ${id}`);
            }
          }
          const ids = [...documentIds];
          if (flags.batch) {
            const unfinished = await app.store.listUnfinished();
            ids.push(...unfinished.filter((d) => d.batchId === flags.batch).map((d) => d.id));
          }
          if (ids.length === 0) {
            throw new SluiceError('invalid_input', 'Name documents to cancel, or --batch');
          }
          let cancelled = 0;
          for (const id of ids) {
            if (await app.cancel(id)) {
              cancelled++;
            }
          }
          print(`${cancelled} of ${ids.length} documents cancelled (the others had already finished).`);
          return 0;
        },
        { needsData: true },
      );
    });
}
