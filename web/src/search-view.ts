import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Hit, QueryRequest } from '@sluice/client';
import { describeError, sluice } from './api.js';
import { highlightPattern } from './highlight-pattern.js';

/** The snippet with the server's matches marked (forms of the query's words too), as text nodes. */
function marked(text: string, highlights: { start: number; end: number }[]) {
  const parts = [];
  let at = 0;
  for (const { start, end } of highlights) {
    parts.push(text.slice(at, start), html`<mark>${text.slice(start, end)}</mark>`);
    at = end;
  }
  parts.push(text.slice(at));
  return parts;
}

/** The text with the query's words marked; split on the words, so nothing is injected as markup. */
function highlight(text: string, query: string) {
  const pattern = highlightPattern(query);
  return pattern ? text.split(pattern).map((part, i) => (i % 2 === 1 ? html`<mark>${part}</mark>` : part)) : text;
}

export function SearchView({ collectionId }: { collectionId: string }) {
  const [query, setQuery] = useState('');
  const [mode, setMode] = useState<NonNullable<QueryRequest['mode']>>('hybrid');
  const [topK, setTopK] = useState(5);
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [message, setMessage] = useState('');
  const search = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      setMessage('');
      const answer = await sluice().query(collectionId, { query, mode, top_k: topK });
      setHits(answer.hits);
    } catch (error) {
      setMessage(describeError(error));
    }
  };
  return html`<section aria-labelledby="search-title">
    <h2 id="search-title">Search</h2>
    <form class="search" onSubmit=${search}>
      <label>Query <input type="search" required value=${query} onInput=${(e: Event) => setQuery((e.target as HTMLInputElement).value)} /></label>
      <label>Mode <select value=${mode} onChange=${(e: Event) => setMode((e.target as HTMLSelectElement).value as NonNullable<QueryRequest['mode']>)}>
        <option value="hybrid">hybrid</option><option value="vector">vector</option><option value="text">text</option>
      </select></label>
      <label>Top k <input type="number" min="1" max="100" value=${topK} onInput=${(e: Event) => setTopK(Number((e.target as HTMLInputElement).value))} /></label>
      <button type="submit">Search</button>
    </form>
    ${message && html`<p class="bad" role="alert">${message}</p>`}
    ${
      hits &&
      html`<ol class="hits" data-testid="hits">
      ${hits.length === 0 && html`<li>No match.</li>`}
      ${hits.map(
        (h) => html`<li key=${h.chunk_id}>
          <p class="meta"><strong>${h.source}</strong> · chunk ${h.index}${h.page !== null ? ` · page ${h.page}` : ''} · chars ${h.char_start}–${h.char_end} · score ${h.score.toFixed(3)}</p>
          <p class="text">${marked(h.snippet, h.snippet_highlights)}</p>
          ${h.snippet !== h.text && html`<details><summary>Whole chunk</summary><p class="text">${highlight(h.text, query)}</p></details>`}
        </li>`,
      )}
    </ol>`
    }
  </section>`;
}
