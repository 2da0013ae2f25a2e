import { openAsBlob } from 'node:fs';
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

interface BatchJson {
  id: string;
  collection_id: string;
  label: string;
  created_at: string;
  finished: boolean;
  progress: {
    files_total: number;
    files_done: number;
    chunks_total: number;
    chunks_embedded: number;
    pages_total: number;
    pages_parsed: number;
    percent: number;
  };
  counts: Record<string, number>;
}

interface DocumentJson {
  id: string;
  source: string;
  state: DocumentState;
  error: { code: string; message: string } | null;
  progress: { chunks_total: number };
}

/** Calls of the HTTP API with a key; a refusal throws with its status and problem code. */
function apiClient(server: string, apiKey: string) {
  const base = server.replace(/\/$/, '');
  const headers = { authorization: `Bearer ${apiKey}` };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body instanceof FormData ? headers : { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: body instanceof FormData ? body : JSON.stringify(body) }),
    });
    const json = (await response.json()) as T & { code?: string; detail?: string };
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} [${json.code ?? 'error'}] ${json.detail ?? ''}`);
    }
    return json;
  };
  return { base, headers, call };
}

/**
 * `sluice ingest --server`: the same command against a running Sluice. Files are streamed from disk
 * in multipart uploads, and the progress bar is fed by each batch's SSE stream.
 */
export async function ingestRemote(options: RemoteOptions): Promise<number> {
  const { base, headers, call } = apiClient(options.server, options.apiKey);
  const started = Date.now();
  const collection = await call<{ id: string; name: string }>('POST', '/v1/collections', { name: options.collection });
  const batches: string[] = [];
  const names = uploadNames(options.files.map((file) => file.path));
  for (let i = 0; i < options.files.length; i += filesPerRequest) {
    const form = new FormData();
    const perFile: Record<string, DocumentMetadata> = {};
    for (const [j, file] of options.files.slice(i, i + filesPerRequest).entries()) {
      const name = names[i + j] as string;
      form.append('file', await openAsBlob(file.path), name);
      const own = options.metadata?.ownOf(file) ?? {};
      if (Object.keys(own).length > 0) {
        perFile[name] = own;
      }
    }
    if (options.metadata && Object.keys(options.metadata.shared).length > 0) {
      form.append('metadata', JSON.stringify(options.metadata.shared));
    }
    if (Object.keys(perFile).length > 0) {
      form.append('file_metadata', JSON.stringify(perFile));
    }
    const path = `/v1/collections/${collection.id}/documents?priority=${options.priority}`;
    const answer = await call<{ batch: BatchJson }>('POST', path, form);
    batches.push(answer.batch.id);
  }
  if (!options.wait) {
    print(`Batch ${batches.join(', ')}: ${options.files.length} files queued on ${base}.`);
    return 0;
  }

  return followBatches({ base, headers, call }, collection, batches, options.label, started, options.files.length);
}

/** Follows batches to their end with a progress bar, then prints their documents' summary; the exit code. */
async function followBatches(
  { base, headers, call }: ReturnType<typeof apiClient>,
  collection: { id: string; name: string },
  batches: string[],
  label: string,
  started: number,
  expectedFiles = 0,
): Promise<number> {
  const view = createProgressView(`upload to ${collection.name}`, process.stdout.isTTY === true, expectedFiles);
  const latest = new Map<string, BatchJson>();
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
      followBatch(base, headers, id, (b) => {
        latest.set(id, b);
        view.update(combined());
      }),
    ),
  );
  view.stop(combined());

  const documents: SummaryRow[] = [];
  for (const id of batches) {
    let cursor: string | null = null;
    do {
      const page: { documents: DocumentJson[]; next_cursor: string | null } = await call(
        'GET',
        `/v1/documents?batch=${id}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
      );
      documents.push(...page.documents.map((d) => toRecord(d)));
      cursor = page.next_cursor;
    } while (cursor);
  }
  print(`Collection "${collection.name}" on ${base}, batches ${batches.join(', ')}`);
  const listAll = `GET ${base}/v1/documents?batch=<id>&state=failed`;
  return printSummary(documents, Date.now() - started, listAll) > 0 ? 1 : 0;
}

/** Follows a batch's SSE stream to its end, reading the batch after each burst of events. */
async function followBatch(
  base: string,
  headers: Record<string, string>,
  id: string,
  onBatch: (b: BatchJson) => void,
): Promise<void> {
  const read = async (): Promise<BatchJson> =>
    (await (await fetch(`${base}/v1/batches/${id}`, { headers })).json()) as BatchJson;
  onBatch(await read());
  let lastEventId = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const response = await fetch(`${base}/v1/batches/${id}/events`, {
        headers: { ...headers, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      });
      const decoder = new TextDecoder();
      let buffer = '';
      let pending: NodeJS.Timeout | undefined;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          lastEventId = /^id: (\d+)$/m.exec(block)?.[1] ?? lastEventId;
          const final = /^event: batch\.finished\ndata: (.*)$/m.exec(block);
          if (final?.[1]) {
            clearTimeout(pending);
            onBatch(JSON.parse(final[1]) as BatchJson);
            return;
          }
          pending ??= setTimeout(() => {
            pending = undefined;
            void read().then(onBatch, () => undefined);
          }, 250);
        }
      }
    } catch (error) {
      printError(
        `event stream of ${id} interrupted (${error instanceof Error ? error.message : String(error)}); resuming`,
      );
    }
    // The stream ended without its final event: reconnect where it left off.
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  onBatch(await read());
}

function toRecord(d: DocumentJson): SummaryRow {
  return {
    source: d.source,
    state: d.state,
    errorCode: (d.error?.code ?? null) as SummaryRow['errorCode'],
    errorMessage: d.error?.message ?? null,
    chunksTotal: d.progress.chunks_total,
  };
}

interface SourceJson {
  id: string;
  scan: {
    id: string;
    batch_id: string;
    state: string;
    objects: Record<string, number>;
    failures: { key: string; code: string; message: string }[];
    error: { code: string; message: string } | null;
  } | null;
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
  const api = apiClient(options.server, options.apiKey);
  const started = Date.now();
  const collection = await api.call<{ id: string; name: string }>('POST', '/v1/collections', {
    name: options.collection,
  });
  const source = await api.call<SourceJson>('POST', `/v1/collections/${collection.id}/sources`, {
    type: 's3',
    url: options.url,
    include: options.include,
    exclude: options.exclude,
  });
  const { scan } = await api.call<{ scan: NonNullable<SourceJson['scan']> }>('POST', `/v1/sources/${source.id}/scan`, {
    prune: options.prune,
    priority: options.priority,
  });
  if (!options.wait) {
    print(`Scan ${scan.id} of ${options.url} started on ${api.base}: batch ${scan.batch_id}`);
    return 0;
  }
  let now = scan;
  while (now.state === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 500));
    now = (await api.call<SourceJson>('GET', `/v1/sources/${source.id}`)).scan ?? now;
  }
  const o = now.objects as Parameters<typeof describeScan>[0];
  print(describeScan(o));
  now.failures.forEach((f) => printError(`could not read ${f.key} [${f.code}]: ${f.message}`));
  if (now.error) {
    printError(`error [${now.error.code}]: ${now.error.message}`);
  }
  const code = await followBatches(api, collection, [now.batch_id], options.url, started);
  return now.state === 'done' && o.failed === 0 ? code : 1;
}
