import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { Batch, DocumentState, SluiceDocument } from '@sluice/client';
import { describeError, session, sluice } from './api.js';

const states: (DocumentState | '')[] = [
  '',
  'queued',
  'parsing',
  'chunking',
  'embedding',
  'indexing',
  'completed',
  'completed_with_errors',
  'failed',
  'cancelled',
  'skipped',
];
const running = new Set<DocumentState>(['queued', 'parsing', 'chunking', 'embedding', 'indexing']);

/** Recent batches and the documents of the collection, by state, with retry, cancel and delete. */
export function JobsView({ collectionId }: { collectionId: string }) {
  // The dashboard's "show failed documents" opens this view on that state.
  const [state, setState] = useState<DocumentState | ''>(() => {
    const asked = (session.get('jobsState') ?? '') as DocumentState | '';
    session.set('jobsState', null);
    return asked;
  });
  const [docs, setDocs] = useState<SluiceDocument[]>([]);
  const [batches, setBatches] = useState<Batch[]>([]);
  const [message, setMessage] = useState('');
  const load = async (): Promise<void> => {
    const client = sluice();
    const [d, b] = await Promise.all([
      client.documents.list({ collection: collectionId, limit: 200, ...(state ? { state } : {}) }),
      client.batches.list(10),
    ]);
    setDocs(d.documents);
    setBatches(b);
  };
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [state, collectionId]);
  const act = async (action: () => Promise<unknown>, done: string): Promise<void> => {
    try {
      await action();
      setMessage(done);
      await load();
    } catch (error) {
      setMessage(describeError(error));
    }
  };
  return html`<section aria-labelledby="jobs-title">
    <h2 id="jobs-title">Jobs</h2>
    <h3>Recent batches</h3>
    <ul class="batches">
      ${batches.map(
        (b) => html`<li key=${b.id}>
          <code>${b.id}</code> ${b.label} — ${b.progress.files_done}/${b.progress.files_total} files
          ${Object.entries(b.counts).map(([k, v]) => html` <span class=${`tag state-${k}`}>${k} ${v}</span>`)}
        </li>`,
      )}
    </ul>
    <h3>Documents</h3>
    <label>State <select value=${state} onChange=${(e: Event) => setState((e.target as HTMLSelectElement).value as DocumentState | '')}>
      ${states.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
    </select></label>
    ${message && html`<p role="status">${message}</p>`}
    <table class="documents">
      <thead><tr><th scope="col">File</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Reason</th><th scope="col">Actions</th></tr></thead>
      <tbody>
        ${docs.map(
          (d) => html`<tr key=${d.id} data-source=${d.source} data-state=${d.state}>
            <td>${d.source}</td>
            <td><span class=${`tag state-${d.state}`}>${d.state}</span></td>
            <td>${d.attempts}</td>
            <td>${d.error ? `${d.error.code}: ${d.error.message}` : ''}</td>
            <td class="actions">
              ${
                (d.state === 'failed' || d.state === 'cancelled') &&
                html`<button onClick=${() => void act(() => sluice().documents.retry(d.id), `${d.source} queued again`)}>Retry</button>`
              }
              ${running.has(d.state) && html`<button onClick=${() => void act(() => sluice().documents.cancel(d.id), `${d.source} cancelled`)}>Cancel</button>`}
              <button class="danger" onClick=${() => confirm(`Delete ${d.source} and its chunks?`) && void act(() => sluice().documents.delete(d.id), `${d.source} deleted`)}>Delete</button>
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
