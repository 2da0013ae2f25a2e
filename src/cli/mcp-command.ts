import type { Command } from 'commander';
import type { CommonFlags } from './command-config.js';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description(
      'serve the collections of the data folder to an MCP client over stdin/stdout (ingesting too if SLUICE_MCP_INGEST allows)',
    )
    .action(async (flags: CommonFlags) => {
      const { runMcp } = await import('./mcp-action.js');
      await runMcp(flags);
    });
}
