import { Option, type Command } from 'commander';
import type { IngestFlags } from './ingest-action.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('ingest files, folders or globs into a collection, with live progress')
    .argument('<paths...>', 'files, folders (walked recursively), glob patterns, or one s3://bucket/prefix/')
    .option('-c, --collection <name>', 'collection to ingest into (created if new; required)')
    .option('--priority <n>', 'higher runs first', '0')
    .option('--include <glob>', 'only files whose path below the folder or prefix matches (repeatable)', collect, [])
    .option('--exclude <glob>', 'leave out files whose path matches (repeatable)', collect, [])
    .option('--metadata <key=value>', 'attach to every file, filterable in queries (repeatable)', collect, [])
    .option(
      '--path-metadata <template>',
      'metadata from folder names below the folder ingested: {lang}/{section} reads en/admin/x.html as lang=en, section=admin',
    )
    .option('--prune', 'for s3:// only: remove documents whose objects are gone from the prefix')
    .option('--no-wait', 'queue the files and return without processing them')
    .option('--server <url>', 'send the files to a running `sluice serve` instead of the local ledger')
    .addOption(new Option('--api-key <key>', 'API key for --server').env('SLUICE_API_KEY'))
    .action(async (paths: string[], flags: IngestFlags) => {
      const { runIngest } = await import('./ingest-action.js');
      await runIngest(paths, flags);
    });
}
