import { Option, type Command } from 'commander';
import { SluiceError } from '../core/errors.js';
import type { DocumentRecord } from '../core/types.js';
import { expandPaths } from '../services/expand-paths.js';
import { print, printError } from './output.js';
import { ingestRemote } from './remote-ingest.js';
import { createProgressView } from './progress-view.js';
import { listBatchDocuments, printSummary } from './summary.js';
import { waitForDocuments } from './wait-for-documents.js';
import { withApp, type CommonFlags } from './with-app.js';

interface IngestFlags extends CommonFlags {
  collection: string;
  server?: string;
  apiKey?: string;
  priority: string;
  wait: boolean;
}

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('ingest files, folders or globs into a collection, with live progress')
    .argument('<paths...>', 'files, folders (walked recursively) or glob patterns')
    .requiredOption('-c, --collection <name>', 'collection to ingest into (created if new)')
    .option('--priority <n>', 'higher runs first', '0')
    .option('--no-wait', 'queue the files and return without processing them')
    .option('--server <url>', 'send the files to a running `sluice serve` instead of the local ledger')
    .addOption(new Option('--api-key <key>', 'API key for --server').env('SLUICE_API_KEY'))
    .action(async (paths: string[], flags: IngestFlags) => {
      if (flags.server) {
        process.exitCode = await remote(paths, flags, flags.server);
        return;
      }
      process.exitCode = await withApp(flags, async (app) => {
        const started = Date.now();
        const priority = Number(flags.priority);
        if (!Number.isInteger(priority) || priority < -100 || priority > 100) {
          throw new SluiceError('invalid_input', '--priority must be a whole number from -100 to 100');
        }
        const { files, missing } = await expandPaths(paths, process.cwd());
        for (const m of missing) {
          printError(`nothing found at ${m}`);
        }
        if (files.length === 0) {
          throw new SluiceError('invalid_input', 'No files to ingest');
        }
        const tenant = await app.defaultTenant();
        const collection = await app.ensureCollection(tenant.id, flags.collection);
        if (flags.wait) {
          await app.startWorkers();
        }
        const batch = await app.store.createBatch(collection.id, paths.join(' '));
        const pending: DocumentRecord[] = [];
        let submitted = false;
        const view = flags.wait ? createProgressView(`batch ${batch.id}`, process.stdout.isTTY === true) : undefined;
        const finished = view
          ? waitForDocuments(
              app,
              batch.id,
              () => (submitted ? pending.map((d) => d.id) : undefined),
              (p) => view.update(p),
            )
          : undefined;
        await app.submit({ collection, batch, files, priority }, (outcome) => {
          if (outcome.kind === 'pending') {
            pending.push(outcome.document);
          }
        });
        submitted = true;
        if (!view || !finished) {
          print(`Batch ${batch.id}: ${files.length} files queued; run \`sluice worker\` to process them.`);
          return 0;
        }
        view.stop(await finished);
        const documents = [...(await listBatchDocuments(app, batch.id))];
        for (const doc of pending) {
          const current = await app.store.getDocument(doc.id);
          if (current) {
            documents.push(current);
          }
        }
        print(`Collection "${collection.name}", batch ${batch.id}`);
        return printSummary(documents, Date.now() - started) > 0 ? 1 : 0;
      });
    });
}

async function remote(paths: string[], flags: IngestFlags, server: string): Promise<number> {
  const apiKey = flags.apiKey;
  if (!apiKey) {
    printError('error [unauthorized]: --server needs --api-key (or SLUICE_API_KEY)');
    return 1;
  }
  const { files, missing } = await expandPaths(paths, process.cwd());
  missing.forEach((m) => printError(`nothing found at ${m}`));
  if (files.length === 0) {
    printError('error [invalid_input]: No files to ingest');
    return 1;
  }
  try {
    return await ingestRemote({ server, apiKey, collection: flags.collection, files, label: paths.join(' ') });
  } catch (error) {
    printError(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
