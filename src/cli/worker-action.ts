import { print } from './output.js';
import type { CommonFlags } from './command-config.js';
import { withApp } from './with-app.js';

export interface WorkerFlags extends CommonFlags {
  untilIdle?: boolean;
}

/** `sluice worker`: processes queued documents until stopped, or with `--until-idle` until none is left. */
export async function runWorker(flags: WorkerFlags): Promise<void> {
  process.exitCode = await withApp(
    flags,
    async (app) => {
      // With the in-process queue, a long-running worker polls the ledger for what `serve
      // --no-workers` or `ingest --no-wait` record later; a shared queue delivers those itself.
      const poll = !flags.untilIdle && !app.queue.shared ? { pollLedgerMs: 1000 } : {};
      const resumed = await app.startWorkers(poll);
      print(`worker started; ${resumed} unfinished documents resumed`);
      if (flags.untilIdle) {
        await app.queue.idle();
        return 0;
      }
      // Runs until SIGINT/SIGTERM, which withApp turns into a clean shutdown.
      await new Promise<never>(() => undefined);
      return 0;
    },
    { defaultLogLevel: 'info' },
  );
}
