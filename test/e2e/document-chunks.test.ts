import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, form, startTestServer, type TestServer } from '../helpers/test-server.js';

interface ChunkView {
  index: number;
  text: string;
  char_start: number;
  char_end: number;
  page: number | null;
  token_count: number;
}

interface ChunkPage {
  document_id: string;
  state: string;
  chunks_of: string;
  chunks: ChunkView[];
  next_cursor: string | null;
}

// One line of words and no sentence ends: every chunk is cut between words and carries the overlap.
const words = Array.from({ length: 2500 }, (_, i) => `w${(i * 37) % 1009}`).join(' ');

describe('GET /v1/documents/:id/chunks over real HTTP', () => {
  let t: TestServer;
  let api: ReturnType<typeof client>;
  let collectionId: string;
  let docId: string;

  /** Every page of a document's chunks, `limit` a page. */
  const allPages = async (id: string, limit: number): Promise<ChunkPage[]> => {
    const pages: ChunkPage[] = [];
    let cursor: string | null = null;
    do {
      const r = await api('GET', `/v1/documents/${id}/chunks?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      pages.push(r.body as ChunkPage);
      cursor = (r.body as ChunkPage).next_cursor;
    } while (cursor);
    return pages;
  };

  beforeAll(async () => {
    t = await startTestServer({ concurrency: 2, chunkTokens: 64, chunkOverlap: 16 });
    api = client(t.url, t.adminKey);
    collectionId = (await api('POST', '/v1/collections', { name: 'chunks' })).body.id;
    const upload = await api(
      'POST',
      `/v1/collections/${collectionId}/documents?wait=30`,
      form([{ name: 'words.txt', content: words }]),
    );
    expect(upload.status).toBe(200);
    docId = upload.body.documents[0].id;
  });
  afterAll(() => t.close());

  it("pages through a document's chunks in order, and they give its text back exactly", async () => {
    const pages = await allPages(docId, 7);
    const chunks = pages.flatMap((p) => p.chunks);
    expect(pages.length).toBeGreaterThan(3);
    expect(pages.slice(0, -1).every((p) => p.chunks.length === 7)).toBe(true);
    expect(pages.at(-1)?.chunks.length).toBeGreaterThan(0);
    expect(pages.map((p) => p.next_cursor)).toEqual([
      ...pages.slice(0, -1).map((p) => String(p.chunks.at(-1)?.index)),
      null,
    ]);
    for (const page of pages) {
      expect(page).toMatchObject({ document_id: docId, state: 'completed', chunks_of: docId });
    }
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    const stored = await api('GET', `/v1/documents/${docId}`);
    expect(chunks).toHaveLength(stored.body.progress.chunks_total);

    let text = '';
    for (const chunk of chunks) {
      expect(chunk.text).toBe(words.slice(chunk.char_start, chunk.char_end));
      expect(chunk).toMatchObject({ page: null, token_count: expect.any(Number) });
      expect(chunk.token_count).toBeLessThanOrEqual(64);
      // Neighbours overlap here, so each adds exactly what lies past the one before.
      expect(chunk.char_start).toBeLessThanOrEqual(text.length);
      text += chunk.text.slice(text.length - chunk.char_start);
    }
    expect(text).toBe(words);

    // One page of all of them says it is the last; a page that ends on the last chunk does too.
    const whole = (await api('GET', `/v1/documents/${docId}/chunks?limit=500`)).body as ChunkPage;
    expect(whole).toMatchObject({ chunks, next_cursor: null });
    const exact = (await api('GET', `/v1/documents/${docId}/chunks?limit=${chunks.length}`)).body as ChunkPage;
    expect(exact.next_cursor).toBeNull();
    const first = (await api('GET', `/v1/documents/${docId}/chunks`)).body as ChunkPage;
    expect(first.chunks).toEqual(chunks.slice(0, 100));
  });

  it("answers a skipped copy with its original's chunks", async () => {
    const upload = await api(
      'POST',
      `/v1/collections/${collectionId}/documents?wait=30`,
      form([{ name: 'copy.txt', content: words }]),
    );
    const copy = upload.body.documents[0];
    expect(copy).toMatchObject({ state: 'skipped', duplicate_of: docId });
    const [page] = await allPages(copy.id, 500);
    const original = (await api('GET', `/v1/documents/${docId}/chunks?limit=500`)).body as ChunkPage;
    expect(page).toEqual({ ...original, document_id: copy.id, state: 'skipped', chunks_of: docId });
  });

  it("answers 404 for another tenant's document and an unknown id, and 400 for a bad page", async () => {
    const other = client(t.url, await t.tenantKey('chunk-stranger'));
    for (const r of [
      await other('GET', `/v1/documents/${docId}/chunks`),
      await api('GET', '/v1/documents/doc_unknown/chunks'),
    ]) {
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(r.body.code).toBe('not_found');
    }
    for (const query of ['limit=0', 'limit=501', 'cursor=abc', 'cursor=-1']) {
      const r = await api('GET', `/v1/documents/${docId}/chunks?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.code).toBe('invalid_input');
    }
  });
});

describe('GET /v1/documents/:id/chunks of a document not processed yet', () => {
  it('answers no chunks, with the state the document is in', async () => {
    const t = await startTestServer({ workers: false });
    try {
      const api = client(t.url, t.adminKey);
      const collectionId = (await api('POST', '/v1/collections', { name: 'waiting' })).body.id;
      const upload = await api(
        'POST',
        `/v1/collections/${collectionId}/documents`,
        form([{ name: 'later.txt', content: 'Not read yet.' }]),
      );
      const id = upload.body.documents[0].id;
      const r = await api('GET', `/v1/documents/${id}/chunks`);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ document_id: id, state: 'queued', chunks_of: id, chunks: [], next_cursor: null });
    } finally {
      await t.close();
    }
  });
});
