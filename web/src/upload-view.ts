import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SluiceDocument } from '@sluice/client';
import { describeError, session, sluice } from './api.js';
import { createRowStore, type Row, type RowStore } from './rows.js';

const terminal = new Set(['completed', 'completed_with_errors', 'failed', 'cancelled', 'skipped']);
const label = (row: Row): string => {
  switch (row.state) {
    case 'uploading':
      return `uploading ${formatBytes(row.sent)} of ${formatBytes(row.size)}`;
    case 'parsing':
      return row.pagesTotal ? `parsing ${row.pagesParsed ?? 0}/${row.pagesTotal} pages` : 'parsing';
    case 'embedding':
      return `embedding ${row.chunksEmbedded}/${row.chunksTotal} chunks`;
    case 'skipped':
      return 'skipped (duplicate)';
    case 'failed':
      return `failed: ${row.error ?? ''}`;
    case 'completed_with_errors':
      return `completed without some chunks: ${row.error ?? ''}`;
    default:
      return row.state;
  }
};
const fraction = (row: Row): number => {
  if (row.state === 'uploading') {
    return row.size > 0 ? (0.25 * row.sent) / row.size : 0;
  }
  if (terminal.has(row.state)) {
    return 1;
  }
  const embedded = row.chunksTotal > 0 ? row.chunksEmbedded / row.chunksTotal : 0;
  const read = row.pagesTotal ? (row.pagesParsed ?? 0) / row.pagesTotal : 0;
  return (
    (
      {
        queued: 0.3,
        parsing: 0.3 + 0.15 * read,
        chunking: 0.45,
        embedding: 0.5 + 0.4 * embedded,
        indexing: 0.95,
      } as Record<string, number>
    )[row.state] ?? 0.3
  );
};
export function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;
}

function FileRow({ store, rowKey }: { store: RowStore; rowKey: string }) {
  const [, setTick] = useState(0);
  useEffect(() => store.onRow(rowKey, () => setTick((t) => t + 1)), [rowKey]);
  const row = store.get(rowKey);
  if (!row) {
    return null;
  }
  const percent = Math.round(100 * fraction(row));
  return html`<li class=${`file state-${row.state}`} data-source=${row.name} data-state=${row.state}>
    <span class="name">${row.name}</span>
    <progress max="100" value=${percent} aria-label=${`${row.name}: ${label(row)}`}></progress>
    <span class="status" role="status">${label(row)}</span>
  </li>`;
}

function Totals({ store, startedAt }: { store: RowStore; startedAt: number }) {
  const [, setTick] = useState(0);
  useEffect(() => store.onTotals(() => setTick((t) => t + 1)), []);
  const rows = store.all();
  if (rows.length === 0) {
    return null;
  }
  const done = rows.filter((r) => terminal.has(r.state)).length;
  const failed = rows.filter((r) => r.state === 'failed').length;
  const progress = rows.reduce((sum, r) => sum + fraction(r), 0) / rows.length;
  const elapsed = (Date.now() - startedAt) / 1000;
  const eta = progress > 0.02 && progress < 1 ? Math.round((elapsed * (1 - progress)) / progress) : undefined;
  return html`<p class="totals" aria-live="polite">
    <strong data-testid="files-done">${done}/${rows.length}</strong> files done${failed ? html`, <span class="bad">${failed} failed</span>` : ''}
    ${eta !== undefined ? html` · about ${eta} s left` : done === rows.length ? ' · finished' : ''}
  </p>`;
}

/** Drag and drop (or pick) files; each gets a row fed by the batch's event stream. */
export function UploadView({ collectionId }: { collectionId: string }) {
  const store = useRef(createRowStore()).current;
  const [keys, setKeys] = useState<string[]>([]);
  const [over, setOver] = useState(false);
  const [message, setMessage] = useState('');
  const [startedAt, setStartedAt] = useState(Date.now());
  const streaming = useRef<AbortController | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => store.onList(() => setKeys(store.keys())), []);

  const follow = (batchId: string): void => {
    streaming.current?.abort();
    const controller = new AbortController();
    streaming.current = controller;
    const follow = async (): Promise<void> => {
      // The client resumes a cut stream after its last event; it ends with `batch.finished`.
      for await (const event of sluice().batches.events(batchId, { signal: controller.signal, maxReconnects: 1000 })) {
        if (event.type === 'document.state') {
          store.updateDocument(event.documentId, {
            state: event.state,
            ...(event.state === 'failed' || event.state === 'completed_with_errors'
              ? { error: `${event.errorCode ?? ''} ${event.errorMessage ?? ''}`.trim() }
              : {}),
          });
        } else if (event.type === 'document.progress' && event.pagesTotal !== undefined) {
          store.updateDocument(event.documentId, { pagesParsed: event.pagesParsed ?? 0, pagesTotal: event.pagesTotal });
        } else if (event.type === 'document.progress') {
          store.updateDocument(event.documentId, {
            chunksEmbedded: event.chunksEmbedded,
            chunksTotal: event.chunksTotal,
          });
        }
      }
    };
    follow().catch((error: unknown) => {
      if (!controller.signal.aborted) {
        setMessage(`Lost the batch's events — ${describeError(error)}`);
      }
    });
  };

  // Coming back to the page resumes the last batch of this session: rows from the API, then its stream.
  useEffect(() => {
    const batchId = session.get(`batch.${collectionId}`);
    if (batchId) {
      void loadBatch(batchId)
        .then((documents) => {
          store.reset(documents.map((d) => toRow(d)));
          follow(batchId);
        })
        .catch(() => session.set(`batch.${collectionId}`, null));
    }
    return () => streaming.current?.abort();
  }, [collectionId]);

  const send = async (files: File[]): Promise<void> => {
    if (files.length === 0) {
      return;
    }
    setMessage('');
    setStartedAt(Date.now());
    const rows: Row[] = files.map((file, i) => ({
      key: `f${i}`,
      name: file.name,
      size: file.size,
      state: 'uploading',
      sent: 0,
      chunksEmbedded: 0,
      chunksTotal: 0,
    }));
    store.reset(rows);
    const offsets = files.map((_, i) => files.slice(0, i).reduce((sum, f) => sum + f.size, 0));
    try {
      const answer = await sluice().documents.upload(collectionId, files, {
        // Files go out in order in one body: each row's share of the bytes sent so far.
        onProgress: (loaded) =>
          files.forEach((file, i) =>
            store.update(`f${i}`, { sent: Math.max(0, Math.min(file.size, loaded - (offsets[i] ?? 0))) }),
          ),
      });
      answer.documents.forEach((doc, i) => store.update(`f${i}`, toRow(doc, `f${i}`)));
      session.set(`batch.${collectionId}`, answer.batch.id);
      follow(answer.batch.id);
    } catch (error) {
      const detail = describeError(error);
      setMessage(`Upload refused — ${detail}`);
      rows.forEach((row) => store.update(row.key, { state: 'failed', error: detail }));
    }
  };

  return html`<section aria-labelledby="upload-title">
    <h2 id="upload-title">Upload</h2>
    <div
      class=${`dropzone${over ? ' over' : ''}`}
      data-testid="dropzone"
      tabindex="0"
      role="button"
      aria-label="Drop files here, or press Enter to pick files"
      onDragOver=${(e: DragEvent) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave=${() => setOver(false)}
      onDrop=${(e: DragEvent) => {
        e.preventDefault();
        setOver(false);
        void send([...(e.dataTransfer?.files ?? [])]);
      }}
      onKeyDown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && input.current?.click()}
      onClick=${() => input.current?.click()}
    >
      <p>Drop files here, or click to choose (PDF, DOCX, HTML, Markdown, text, CSV, JSON)</p>
      <input ref=${input} type="file" multiple hidden onChange=${(e: Event) => void send([...((e.target as HTMLInputElement).files ?? [])])} />
    </div>
    ${message && html`<p class="bad" role="alert">${message}</p>`}
    <${Totals} store=${store} startedAt=${startedAt} />
    <ul class="files" data-testid="files">
      ${keys.map((key) => html`<${FileRow} key=${key} store=${store} rowKey=${key} />`)}
    </ul>
  </section>`;
}

/** Every document of a batch, page by page. */
async function loadBatch(batchId: string): Promise<SluiceDocument[]> {
  const all: SluiceDocument[] = [];
  for await (const doc of sluice().documents.all({ batch: batchId, limit: 500 })) {
    all.push(doc);
  }
  return all;
}

function toRow(doc: SluiceDocument, key = doc.id): Row {
  return {
    key,
    name: doc.source,
    size: doc.size_bytes,
    documentId: doc.id,
    state: doc.state,
    sent: doc.size_bytes,
    chunksEmbedded: doc.progress.chunks_embedded,
    chunksTotal: doc.progress.chunks_total,
    ...(doc.progress.pages_total
      ? { pagesParsed: doc.progress.pages_parsed, pagesTotal: doc.progress.pages_total }
      : {}),
    ...(doc.error ? { error: `${doc.error.code} ${doc.error.message}` } : {}),
  };
}
