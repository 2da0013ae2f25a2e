import { parseBucketUrl } from '../core/bucket-url.js';
import { SluiceError } from '../core/errors.js';
import { keyFilter } from '../services/key-patterns.js';
import { scanRunning } from '../services/scan-source.js';
import type { AppContext } from '../app/create-app.js';
import type { ScanReport } from '../ports/store.js';
import { ingestWithProgress } from './ingest-progress.js';
import { printError } from './output.js';

export interface ScanIngestOptions {
  url: string;
  collection: string;
  include: string[];
  exclude: string[];
  prune: boolean;
  priority: number;
  wait: boolean;
}

/** One line of what a scan did. */
export function describeScan(
  o: Pick<ScanReport, 'listed' | 'matched' | 'unchanged' | 'ingested' | 'pruned' | 'failed'>,
): string {
  return (
    `Scanned: ${o.listed} objects listed, ${o.matched} matched, ` +
    `${o.unchanged} unchanged, ${o.ingested} read, ${o.pruned} pruned, ${o.failed} unreadable`
  );
}

/**
 * `sluice ingest s3://bucket/prefix/`: records the bucket prefix as a source of the collection (its
 * patterns as given now) and scans it, with live progress like a folder's: objects whose version was
 * ingested already are not read again.
 */
export async function ingestFromSource(app: AppContext, options: ScanIngestOptions): Promise<number> {
  const started = Date.now();
  // The address, the patterns and the bucket are checked before anything is recorded.
  const { url } = parseBucketUrl(options.url);
  keyFilter(options.include, options.exclude);
  (await app.openSource(url)).close();
  const tenant = await app.defaultTenant();
  const collection = await app.ensureCollection(tenant.id, options.collection);
  const current = (await app.store.listSources(collection.id)).find((s) => s.url === url)?.scan;
  if (scanRunning(current)) {
    throw new SluiceError('scan_running', `${url} is being scanned already; try again when it is done`);
  }
  const { source } = await app.store.ensureSource({
    collectionId: collection.id,
    type: 's3',
    url,
    include: options.include,
    exclude: options.exclude,
  });
  const target = { collection, label: url, wait: options.wait, started };
  return ingestWithProgress(app, target, async (batch, onOutcome) => {
    const scan = await app.scanSource({
      source,
      collection,
      batch,
      priority: options.priority,
      prune: options.prune,
      onDocument: onOutcome,
    });
    const report = await scan.finished;
    for (const failure of report.failures) {
      printError(`could not read ${failure.key} [${failure.code}]: ${failure.message}`);
    }
    return { queued: `${report.ingested} objects queued`, notes: [describeScan(report)], problems: report.failed };
  });
}

/** The one `s3://` address of a command's arguments, or undefined if it names none; mixing is refused. */
export function sourceUrlOf(paths: readonly string[]): string | undefined {
  const urls = paths.filter((p) => p.startsWith('s3://'));
  if (urls.length === 0) {
    return undefined;
  }
  if (urls.length > 1 || paths.length > 1) {
    throw new SluiceError('invalid_input', 'Ingest one s3:// address at a time, without local paths beside it');
  }
  return urls[0];
}
