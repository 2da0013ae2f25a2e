import { SluiceError } from '../core/errors.js';
import { reindexCollection } from '../services/reindex-service.js';
import { print } from './output.js';
import { createProgressView } from './progress-view.js';
import { listBatchDocuments, printSummary } from './summary.js';
import { waitForDocuments } from './wait-for-documents.js';
import type { CommonFlags } from './command-config.js';
import { given, withApp } from './with-app.js';

export interface ReindexFlags extends CommonFlags {
  collection: string;
  into?: string;
  swap?: boolean;
}

/** `sluice reindex`: re-embeds a collection into a new one, and with `--swap` swaps their names. */
export async function runReindex(flags: ReindexFlags): Promise<void> {
  if (!given(flags.collection, '-c, --collection <name>')) {
    return;
  }
  process.exitCode = await withApp(flags, async (app) => {
    const started = Date.now();
    const tenant = await app.defaultTenant();
    const source = await app.store.getCollectionByName(tenant.id, flags.collection);
    if (!source) {
      throw new SluiceError('not_found', `No collection named "${flags.collection}"`);
    }
    const targetName = flags.into ?? `${source.name}@${app.embedder.spec.model}`;
    if (targetName === source.name) {
      throw new SluiceError('invalid_input', '--into must name another collection');
    }
    const target = await app.ensureCollection(tenant.id, targetName);
    await app.startWorkers();
    const batch = await app.store.createBatch(target.id, `reindex of ${source.name}`);
    let submitted = false;
    const view = createProgressView(`reindex ${source.name} → ${target.name}`, process.stdout.isTTY === true);
    const finished = waitForDocuments(
      app,
      batch.id,
      () => (submitted ? [] : undefined),
      (p) => view.update(p),
    );
    await reindexCollection(app, source, target, batch);
    submitted = true;
    view.stop(await finished);
    const failures = printSummary(await listBatchDocuments(app, batch.id), Date.now() - started);
    if (flags.swap && failures === 0) {
      await app.store.swapCollectionNames(tenant.id, source.name, target.name);
      print(
        `Swapped: "${source.name}" now holds the ${app.embedder.spec.model} vectors; the old ones are in "${target.name}".`,
      );
    } else {
      print(
        `Readers still use "${source.name}"; query "${target.name}" for the new vectors${flags.swap ? ' (not swapped: some documents failed)' : ''}.`,
      );
    }
    return failures > 0 ? 1 : 0;
  });
}
