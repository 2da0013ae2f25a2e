// Each register* only declares its command; the command's body loads when it runs, so that `--help`
// and quick commands such as `status` start without the modules of all the others.
import { Command } from 'commander';
import { registerCancelCommand } from './cancel-command.js';
import { registerGcCommand } from './gc-command.js';
import { registerIngestCommand } from './ingest-command.js';
import { registerJobsCommand } from './jobs-command.js';
import { registerKeysCommand } from './keys-command.js';
import { registerMcpCommand } from './mcp-command.js';
import { registerQueryCommand } from './query-command.js';
import { registerReindexCommand } from './reindex-command.js';
import { registerRetryCommand } from './retry-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerStatusCommand } from './status-command.js';
import { registerWorkerCommand } from './worker-command.js';
import { configEnvNames } from '../app/config-env-names.js';

const program = new Command('sluice')
  .description('Asynchronous document ingestion for retrieval: files in, searchable chunks out.')
  .version('0.1.0');

// Settings every command shares; each also reads its SLUICE_* environment variable.
for (const command of [
  registerServeCommand,
  registerIngestCommand,
  registerQueryCommand,
  registerJobsCommand,
  registerRetryCommand,
  registerCancelCommand,
  registerWorkerCommand,
  registerReindexCommand,
  registerStatusCommand,
  registerGcCommand,
  registerMcpCommand,
]) {
  command(program);
}
/** Commands that process documents, and so take the settings of processing. */
const processing = new Set(['serve', 'ingest', 'worker', 'retry', 'reindex']);
for (const sub of program.commands) {
  sub
    .option(
      '-d, --data-dir <path>',
      `where the ledger and raw files live (${configEnvNames.dataDir}, default ./.sluice)`,
    )
    .option('--log-level <level>', `log level on stderr (${configEnvNames.logLevel}, default warn)`);
  if (!processing.has(sub.name())) {
    continue;
  }
  sub
    .option('--concurrency <n>', `documents processed at once (${configEnvNames.concurrency})`)
    .option('--chunk-tokens <n>', `most tokens per chunk (${configEnvNames.chunkTokens}, default 500)`)
    .option('--chunk-overlap <n>', `tokens of overlap (${configEnvNames.chunkOverlap}, default 50)`)
    .option('--embed-batch-size <n>', `chunks per embedder call (${configEnvNames.embedBatchSize}, default 100)`)
    .option('--max-file-bytes <n>', `largest file accepted (${configEnvNames.maxFileBytes})`);
}

// Registered after the shared options are added: `keys` has subcommands with their own.
registerKeysCommand(program);

// A reader that went away (`sluice query … | head -1`) wants no more output: end quietly, as git does.
// Unfinished documents resume on the next run, as after Ctrl-C.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') {
    throw error;
  }
  process.exit(0);
});
// With nowhere to report to, errors go unsaid; the exit code still tells.
process.stderr.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') {
    throw error;
  }
});

await program.parseAsync(process.argv);
