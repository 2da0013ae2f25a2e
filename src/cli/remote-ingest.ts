import { openAsBlob } from 'node:fs';
import { SluiceClient, type Batch, type SluiceDocument } from '@sluice/client';
import type { DocumentMetadata } from '../core/document-metadata.js';
import type { BatchProgress } from '../core/types.js';
import type { DocumentState } from '../core/states.js';
import type { FoundFile } from '../services/expand-paths.js';
import { print, printError } from './output.js';
import { createProgressView } from './progress-view.js';
import { describeScan } from './scan-ingest.js';
import { printSummary, type SummaryRow } from './summary.js';
import { uploadNames } from './upload-names.js';

interface RemoteOptions {
  server: string;
  apiKey: string;
  collection: string;
  files: FoundFile[];
  label: string;
  /** Sent as `metadata` (the same for every file) and `file_metadata` (each file's own). */
  metadata?: { shared: DocumentMetadata; ownOf: (file: FoundFile) => DocumentMetadata };
  /** Higher runs first. */
  priority: number;
  /** Follow the batches to their end (else return once they are queued). */
  wait: boolean;
}

// Files per upload request: large enough to amortise a request, small enough to start work early.
const filesPerRequest = 50;

const clientOf = (server: string, apiKey: string): SluiceClient => new SluiceClient({ baseUrl: server, apiKey });

/**
 * `sluice ingest --server`: the same command against a running Sluice. Files are streamed from disk
 * in multipart uploads, and the progress bar is fed by each batch's SSE stream.
 */
export async function ingestRemote(options: RemoteOptions): Promise<number> {
  const client = clientOf(options.server, options.apiKey);
  const started = Date.now();
  const collection = await client.collections.create({ name: options.collection });
  const batches: string[] = [];
  const names = uploadNames(options.files.map((file) => file.path));
  for (let i = 0; i < options.files.length; i += filesPerRequest) {
    const files = await Promise.all(
      options.files.slice(i, i + filesPerRequest).map(async (file, j) => {
        const own = options.metadata?.ownOf(file) ?? {};
        return {
          name: names[i + j] as string,
          data: await openAsBlob(file.path),
          ...(Object.keys(own).length > 0 ? { metadata: own } : {}),
        };
      }),
    );
    const answer = await client.documents.upload(collection.id, files, {
      priority: options.priority,
      ...(options.metadata ? { metadata: options.metadata.shared } : {}),
    });
    batches.push(answer.batch.id);
  }
  if (!options.wait) {
    print(`Batch ${batches.join(', ')}: ${options.files.length} files queued on ${baseOf(options.server)}.`);
    return 0;
  }

  return followBatches(client, options.server, collection, batches, options.label, started, options.files.length);
}

const baseOf = (server: string): string => server.replace(/\/+$/, '');

/** Follows batches to their end with a progress bar, then prints their documents' summary; the exit code. */
async function followBatches(
  client: SluiceClient,
  server: string,
  collection: { id: string; name: string },
  batches: string[],
  label: string,
  started: number,
  expectedFiles = 0,
): Promise<number> {
  const view = createProgressView(`upload to ${collection.name}`, process.stdout.isTTY === true, expectedFiles);
  const latest = new Map<string, Batch>();
  const combined = (): BatchProgress => {
    const all = [...latest.values()];
    const byState: Partial<Record<DocumentState, number>> = {};
    for (const b of all) {
      for (const [state, n] of Object.entries(b.counts)) {
        byState[state as DocumentState] = (byState[state as DocumentState] ?? 0) + n;
      }
    }
    return {
      batch: { id: batches.join(','), collectionId: collection.id, label, createdAt: '' },
      filesTotal: all.reduce((s, b) => s + b.progress.files_total, 0),
      filesDone: all.reduce((s, b) => s + b.progress.files_done, 0),
      chunksTotal: all.reduce((s, b) => s + b.progress.chunks_total, 0),
      chunksEmbedded: all.reduce((s, b) => s + b.progress.chunks_embedded, 0),
      pagesTotal: all.reduce((s, b) => s + b.progress.pages_total, 0),
      pagesParsed: all.reduce((s, b) => s + b.progress.pages_parsed, 0),
      workDone: all.reduce((s, b) => s + (b.progress.percent / 100) * b.progress.files_total, 0),
      byState,
      finished: all.length === batches.length && all.every((b) => b.finished),
    };
  };
  await Promise.all(
    batches.map((id) =>
      followBatch(client, id, (b) => {
        latest.set(id, b);
        view.update(combined());
      }),
    ),
  );
  view.stop(combined());

  const documents: SummaryRow[] = [];
  for (const id of batches) {
    for await (const d of client.documents.all({ batch: id, limit: 500 })) {
      documents.push(toRecord(d));
    }
  }
  const base = baseOf(server);
  print(`Collection "${collection.name}" on ${base}, batches ${batches.join(', ')}`);
  const listAll = `GET ${base}/v1/documents?batch=<id>&state=failed`;
  return printSummary(documents, Date.now() - started, listAll) > 0 ? 1 : 0;
}

/**
 * Follows a batch's events to its end (the client resumes a cut stream), reading the batch after
 * each burst of events.
 */
async function followBatch(client: SluiceClient, id: string, onBatch: (b: Batch) => void): Promise<void> {
  onBatch(await client.batches.get(id));
  let pending: NodeJS.Timeout | undefined;
  try {
    for await (const event of client.batches.events(id)) {
      if (event.type === 'batch.finished') {
        onBatch(event.batch);
        return;
      }
      pending ??= setTimeout(() => {
        pending = undefined;
        void client.batches.get(id).then(onBatch, () => undefined);
      }, 250);
    }
  } finally {
    clearTimeout(pending);
  }
}

function toRecord(d: SluiceDocument): SummaryRow {
  return {
    source: d.source,
    state: d.state,
    errorCode: (d.error?.code ?? null) as SummaryRow['errorCode'],
    errorMessage: d.error?.message ?? null,
    chunksTotal: d.progress.chunks_total,
  };
}

/**
 * `sluice ingest s3://… --server`: adds the bucket prefix as a source of the collection on the server
 * (or sets its patterns), scans it there, then follows the scan's batch like an upload's.
 */
export async function ingestRemoteSource(options: {
  server: string;
  apiKey: string;
  collection: string;
  url: string;
  include: string[];
  exclude: string[];
  prune: boolean;
  priority: number;
  wait: boolean;
}): Promise<number> {
  const client = clientOf(options.server, options.apiKey);
  const started = Date.now();
  const collection = await client.collections.create({ name: options.collection });
  const source = await client.sources.create(collection.id, {
    type: 's3',
    url: options.url,
    include: options.include,
    exclude: options.exclude,
  });
  const scan = await client.sources.scan(source.id, { prune: options.prune, priority: options.priority });
  if (!options.wait) {
    print(`Scan ${scan.id} of ${options.url} started on ${baseOf(options.server)}: batch ${scan.batch_id}`);
    return 0;
  }
  let now = scan;
  while (now.state === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 500));
    now = (await client.sources.get(source.id)).scan ?? now;
  }
  const o = now.objects as Parameters<typeof describeScan>[0];
  print(describeScan(o));
  now.failures.forEach((f) => printError(`could not read ${f.key} [${f.code}]: ${f.message}`));
  if (now.error) {
    printError(`error [${now.error.code}]: ${now.error.message}`);
  }
  const code = await followBatches(client, options.server, collection, [now.batch_id], options.url, started);
  return now.state === 'done' && o.failed === 0 ? code : 1;
}
