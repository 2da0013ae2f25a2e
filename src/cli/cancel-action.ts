import { SluiceError } from '../core/errors.js';
import { print } from './output.js';
import type { CommonFlags } from './command-config.js';
import { withApp } from './with-app.js';

export interface CancelFlags extends CommonFlags {
  batch?: string;
}

/** `sluice cancel`: cancels the documents named, or the unfinished ones of a batch. */
export async function runCancel(documentIds: string[], flags: CancelFlags): Promise<void> {
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
}
