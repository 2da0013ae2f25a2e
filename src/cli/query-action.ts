import { SluiceError } from '../core/errors.js';
import { filterOfExpressions, toSearchScope } from '../core/query-filter.js';
import type { SearchMode } from '../core/types.js';
import { oneLine, print } from './output.js';
import type { CommonFlags } from './command-config.js';
import { given, withApp } from './with-app.js';

export interface QueryFlags extends CommonFlags {
  collection: string;
  topK: string;
  mode: string;
  json?: boolean;
  source?: string;
  filter: string[];
}

const modes: readonly SearchMode[] = ['hybrid', 'vector', 'text'];

/** `sluice query`: searches a collection and prints the best chunks. */
export async function runQuery(text: string, flags: QueryFlags): Promise<void> {
  if (!given(flags.collection, '-c, --collection <name>')) {
    return;
  }
  process.exitCode = await withApp(
    flags,
    async (app) => {
      const mode = flags.mode as SearchMode;
      const topK = Number(flags.topK);
      if (!modes.includes(mode)) {
        throw new SluiceError('invalid_input', `--mode must be one of ${modes.join(', ')}`);
      }
      if (!Number.isInteger(topK) || topK < 1 || topK > 1000) {
        throw new SluiceError('invalid_input', '--top-k must be a whole number from 1 to 1000');
      }
      const tenant = await app.defaultTenant();
      const collection = await app.store.getCollectionByName(tenant.id, flags.collection);
      if (!collection) {
        throw new SluiceError('not_found', `No collection named "${flags.collection}"`);
      }
      const filter = toSearchScope({
        ...filterOfExpressions(flags.filter),
        ...(flags.source ? { source_prefix: flags.source } : {}),
      });
      const hits = await app.search(collection, { query: text, topK, mode, filter });
      if (flags.json) {
        print(JSON.stringify(hits, null, 2));
        return 0;
      }
      if (hits.length === 0) {
        print('No match.');
      }
      hits.forEach((hit, i) => {
        const where = `${hit.page !== null ? `page ${hit.page}, ` : ''}chunk ${hit.index}, chars ${hit.charStart}-${hit.charEnd}`;
        const language = hit.language ? `  [${hit.language}]` : '';
        print(`${i + 1}. ${hit.source}  (${where})  score ${hit.score.toFixed(4)}${language}`);
        print(`   ${oneLine(hit.snippet ?? hit.text, 300)}`);
      });
      return 0;
    },
    { needsData: true },
  );
}
