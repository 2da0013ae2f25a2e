import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Collection } from '@sluice/client';
import { describeError, session, sluice } from './api.js';
import { JobsView } from './jobs-view.js';
import { SearchView } from './search-view.js';
import { UploadView } from './upload-view.js';

type View = 'upload' | 'jobs' | 'search' | 'dashboard';
const views: View[] = ['upload', 'jobs', 'search', 'dashboard'];
const viewFromHash = (): View => views.find((v) => location.hash === `#${v}`) ?? 'upload';

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [message, setMessage] = useState('');
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    session.setKey(key.trim());
    try {
      await sluice().collections.list();
      onSignedIn();
    } catch (error) {
      session.setKey(null);
      setMessage(describeError(error, false));
    }
  };
  return html`<form class="signin" onSubmit=${submit}>
    <h2>Sign in</h2>
    <label>API key <input type="password" autocomplete="off" required value=${key} onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)} /></label>
    <button type="submit">Sign in</button>
    <p class="hint">The key stays in this browser tab's session only.</p>
    ${message && html`<p class="bad" role="alert">${message}</p>`}
  </form>`;
}

function CollectionPicker({ current, onPick }: { current: string | null; onPick: (id: string) => void }) {
  const [collections, setCollections] = useState<Collection[]>([]);
  const [name, setName] = useState('');
  const [message, setMessage] = useState('');
  const load = async (): Promise<Collection[]> => {
    const list = await sluice().collections.list();
    setCollections(list);
    return list;
  };
  useEffect(() => {
    void load().then((list) => !current && list[0] && onPick(list[0].id));
  }, []);
  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      const created = await sluice().collections.create({ name });
      await load();
      onPick(created.id);
      setName('');
    } catch (error) {
      setMessage(describeError(error, false));
    }
  };
  return html`<div class="collections">
    <label>Collection <select value=${current ?? ''} onChange=${(e: Event) => onPick((e.target as HTMLSelectElement).value)}>
      ${!current && html`<option value="">—</option>`}
      ${collections.map((c) => html`<option value=${c.id}>${c.name} (${c.embedder.name}, ${c.embedder.dimension} d)</option>`)}
    </select></label>
    <form onSubmit=${create}>
      <label>New collection <input value=${name} pattern="[A-Za-z0-9_.\\-]+" required onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Create</button>
    </form>
    ${message && html`<p class="bad" role="alert">${message}</p>`}
  </div>`;
}

type Component = (props: Record<string, never>) => unknown;

/** The dashboard and its charting library load when it is first opened, so the other views stay small. */
function LazyDashboard() {
  const [view, setView] = useState<{ Dashboard: Component } | null>(null);
  const [failure, setFailure] = useState('');
  useEffect(() => {
    import('./dashboard-view.js')
      .then((module) => setView({ Dashboard: module.DashboardView }))
      .catch((error: unknown) => setFailure(`The dashboard could not load: ${String(error)}`));
  }, []);
  if (failure) {
    return html`<p class="bad" role="alert">${failure}</p>`;
  }
  return view ? html`<${view.Dashboard} />` : html`<p>Loading…</p>`;
}

function App() {
  const [signedIn, setSignedIn] = useState(session.key() !== null);
  const [view, setView] = useState<View>(viewFromHash());
  const [collectionId, setCollectionId] = useState<string | null>(session.get('collection'));
  useEffect(() => {
    const onHash = (): void => setView(viewFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const pick = (id: string): void => {
    session.set('collection', id);
    setCollectionId(id);
  };
  return html`<header>
      <h1>Sluice</h1>
      ${
        signedIn &&
        html`<nav aria-label="Views">
        ${views.map((v) => html`<a href=${`#${v}`} aria-current=${view === v ? 'page' : undefined}>${v[0]?.toUpperCase()}${v.slice(1)}</a>`)}
        <button class="link" onClick=${() => (session.setKey(null), setSignedIn(false))}>Sign out</button>
      </nav>`
      }
    </header>
    <main>
      ${
        !signedIn
          ? html`<${SignIn} onSignedIn=${() => setSignedIn(true)} />`
          : view === 'dashboard'
            ? html`<${LazyDashboard} />`
            : html`<${CollectionPicker} current=${collectionId} onPick=${pick} />
            ${
              collectionId &&
              (view === 'upload'
                ? html`<${UploadView} key=${collectionId} collectionId=${collectionId} />`
                : view === 'jobs'
                  ? html`<${JobsView} collectionId=${collectionId} />`
                  : html`<${SearchView} collectionId=${collectionId} />`)
            }`
      }
    </main>`;
}

render(html`<${App} />`, document.getElementById('app') as HTMLElement);
