import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, session } from './api.js';

interface Doc {
  id: string;
  source: string;
  state: string;
  attempts: number;
  error: { code: string; message: string } | null;
  updated_at: string;
}
interface Batch {
  id: string;
  label: string;
  created_at: string;
  finished: boolean;
  progress: { files_total: number; files_done: number; percent: number };
  counts: Record<string, number>;
}

const states = [
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
const running = new Set(['queued', 'parsing', 'chunking', 'embedding', 'indexing']);

/** Recent batches and the documents of the collection, by state, with retry, cancel and delete. */
export function JobsView({ collectionId }: { collectionId: string }) {
  // The dashboard's "show failed documents" opens this view on that state.
  const [state, setState] = useState(() => {
    const asked = session.get('jobsState') ?? '';
    session.set('jobsState', null);
    return asked;
  });
  const [docs, setDocs] = useState<Doc[]>([]);
  const [batches, setBatches] = useState<Batch[]>([]);
  const [message, setMessage] = useState('');
  const load = async (): Promise<void> => {
    const filter = state ? `&state=${state}` : '';
    const [d, b] = await Promise.all([
      api<{ documents: Doc[] }>('GET', `/v1/documents?collection=${collectionId}${filter}&limit=200`),
      api<{ batches: Batch[] }>('GET', '/v1/batches?limit=10'),
    ]);
    setDocs(d.documents);
    setBatches(b.batches);
  };
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [state, collectionId]);
  const act = async (method: string, path: string, done: string): Promise<void> => {
    try {
      await api(method, path);
      setMessage(done);
      await load();
    } catch (error) {
      setMessage(error instanceof ApiError ? `${error.problem.code}: ${error.problem.detail}` : String(error));
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
    <label>State <select value=${state} onChange=${(e: Event) => setState((e.target as HTMLSelectElement).value)}>
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
                html`<button onClick=${() => void act('POST', `/v1/documents/${d.id}/retry`, `${d.source} queued again`)}>Retry</button>`
              }
              ${running.has(d.state) && html`<button onClick=${() => void act('POST', `/v1/documents/${d.id}/cancel`, `${d.source} cancelled`)}>Cancel</button>`}
              <button class="danger" onClick=${() => confirm(`Delete ${d.source} and its chunks?`) && void act('DELETE', `/v1/documents/${d.id}`, `${d.source} deleted`)}>Delete</button>
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
