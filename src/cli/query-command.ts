import type { Command } from 'commander';
import type { QueryFlags } from './query-action.js';

export function registerQueryCommand(program: Command): void {
  program
    .command('query')
    .description('search a collection and print the best chunks')
    .argument('<text>', 'what to look for')
    .option('-c, --collection <name>', 'collection to search (required)')
    .option('-k, --top-k <n>', 'how many chunks', '5')
    .option('-m, --mode <mode>', 'hybrid | vector | text', 'hybrid')
    .option('--source <prefix>', 'only chunks of documents whose source starts with this (a folder, an s3:// prefix)')
    .option(
      '--filter <expr>',
      'only chunks of matching documents: lang=ja, type=application/pdf, created>=2026-01-01, or a metadata key: team=infra, year>=2020 (repeatable; a key repeated with = matches any of its values)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--json', 'print JSON')
    .action(async (text: string, flags: QueryFlags) => {
      const { runQuery } = await import('./query-action.js');
      await runQuery(text, flags);
    });
}
