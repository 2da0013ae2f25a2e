import type { Command } from 'commander';
import type { ServeFlags } from './serve-action.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API (and, unless --no-workers, the workers) in one process')
    .option('-p, --port <port>', 'port to listen on (PORT, default 8080)')
    .option('--host <host>', 'address to listen on (SLUICE_HOST, default 0.0.0.0)')
    .option('--no-workers', 'serve the API only; documents wait for `sluice worker`')
    .action(async (flags: ServeFlags) => {
      const { runServe } = await import('./serve-action.js');
      await runServe(flags);
    });
}
