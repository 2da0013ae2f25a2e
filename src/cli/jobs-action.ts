import { documentStates, type DocumentState } from '../core/states.js';
import { SluiceError } from '../core/errors.js';
import { oneLine, print } from './output.js';
import type { CommonFlags } from './command-config.js';
import { withAdapters } from './with-adapters.js';

export interface JobsFlags extends CommonFlags {
  batch?: string;
  state?: string;
  limit: string;
  json?: boolean;
}

/** `sluice jobs`: batches with their progress, or the documents of one batch or state. */
export async function runJobs(flags: JobsFlags): Promise<void> {
  process.exitCode = await withAdapters(
    flags,
    async ({ store }) => {
      const limit = Number(flags.limit);
      if (flags.state !== undefined && !documentStates.includes(flags.state as DocumentState)) {
        throw new SluiceError('invalid_input', `--state must be one of ${documentStates.join(', ')}`);
      }
      if (flags.batch && !(await store.getBatch(flags.batch))) {
        throw new SluiceError('not_found', `No batch ${flags.batch}`);
      }
      if (flags.batch || flags.state) {
        const documents = await store.listDocuments({
          limit,
          ...(flags.batch ? { batchId: flags.batch } : {}),
          ...(flags.state ? { state: flags.state as DocumentState } : {}),
        });
        if (flags.json) {
          print(JSON.stringify(documents, null, 2));
          return 0;
        }
        for (const d of documents) {
          const error = d.errorCode ? `  [${d.errorCode}] ${oneLine(d.errorMessage ?? '', 100)}` : '';
          const progress = d.chunksTotal > 0 ? `  chunks ${d.chunksEmbedded}/${d.chunksTotal}` : '';
          print(`${d.id}  ${d.state.padEnd(9)}  attempts ${d.attempts}${progress}  ${d.source}${error}`);
        }
        return 0;
      }
      const rows = await store.listBatchProgress(limit);
      if (flags.json) {
        print(JSON.stringify(rows, null, 2));
        return 0;
      }
      for (const p of rows) {
        const states = Object.entries(p.byState)
          .map(([state, n]) => `${state} ${n}`)
          .join(', ');
        print(
          `${p.batch.id}  ${p.batch.createdAt}  files ${p.filesDone}/${p.filesTotal}  chunks ${p.chunksEmbedded}  (${states})  ${oneLine(p.batch.label, 60)}`,
        );
      }
      if (rows.length === 0) {
        print('No batches yet.');
      }
      return 0;
    },
    { needsData: true },
  );
}
