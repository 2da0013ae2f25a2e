import { SluiceError } from '../core/errors.js';
import { isTerminal } from '../core/states.js';
import { print } from './output.js';
import { printSummary } from './summary.js';
import type { CommonFlags } from './command-config.js';
import { withApp } from './with-app.js';

export interface RetryFlags extends CommonFlags {
  failed?: boolean;
  cancelled?: boolean;
  batch?: string;
  collection?: string;
  wait: boolean;
}

/** `sluice retry`: queues failed or cancelled documents again and, unless `--no-wait`, processes them. */
export async function runRetry(flags: RetryFlags): Promise<void> {
  process.exitCode = await withApp(flags, async (app) => {
    if (!flags.failed && !flags.cancelled) {
      throw new SluiceError('invalid_input', 'Say what to retry: --failed and/or --cancelled');
    }
    let collectionId: string | undefined;
    if (flags.collection) {
      const collection = await app.store.getCollectionByName((await app.defaultTenant()).id, flags.collection);
      if (!collection) {
        throw new SluiceError('not_found', `No collection named "${flags.collection}"`);
      }
      collectionId = collection.id;
    }
    const started = Date.now();
    const scope = { ...(flags.batch ? { batchId: flags.batch } : {}), ...(collectionId ? { collectionId } : {}) };
    const requeued = [
      ...(flags.failed ? await app.retry({ ...scope, state: 'failed' }) : []),
      ...(flags.cancelled ? await app.retry({ ...scope, state: 'cancelled' }) : []),
    ];
    print(`${requeued.length} documents queued again.`);
    if (!flags.wait || requeued.length === 0) {
      return 0;
    }
    await app.startWorkers();
    await app.queue.idle();
    const documents = await Promise.all(requeued.map((d) => app.store.getDocument(d.id)));
    const finished = documents.filter((d) => d !== undefined && isTerminal(d.state));
    return printSummary(finished as NonNullable<(typeof documents)[number]>[], Date.now() - started) > 0 ? 1 : 0;
  });
}
