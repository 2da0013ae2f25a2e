import type { Command } from 'commander';
import type { ReindexFlags } from './reindex-action.js';

export function registerReindexCommand(program: Command): void {
  program
    .command('reindex')
    .description(
      're-embed a collection with the configured embedder into a new collection; readers keep the old one until --swap',
    )
    .option('-c, --collection <name>', 'collection to re-embed (required)')
    .option('--into <name>', 'name of the new collection (default: <collection>@<model>)')
    .option('--swap', 'when every document is re-embedded, swap the two names so readers by name move at once')
    .action(async (flags: ReindexFlags) => {
      const { runReindex } = await import('./reindex-action.js');
      await runReindex(flags);
    });
}
