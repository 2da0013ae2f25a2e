import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, form, startTestServer, type TestServer } from '../helpers/test-server.js';

const english = (topic: string) =>
  `The ${topic} service keeps its configuration in one file, and the administrator reloads it after every change to the settings of the system.`;
const german = (topic: string) =>
  `Der Dienst ${topic} speichert seine Konfiguration in einer Datei, und der Administrator lädt sie nach jeder Änderung der Einstellungen neu.`;
const japanese = (topic: string) =>
  `${topic}サービスは設定をひとつのファイルに保存し、管理者は設定を変更するたびにそれを読み込み直します。`;

describe('Document metadata and query filters over the API', () => {
  let t: TestServer;
  let api: ReturnType<typeof client>;
  let collectionId: string;

  const upload = (data: FormData) => api('POST', `/v1/collections/${collectionId}/documents`, data);
  const query = (body: Record<string, unknown>) =>
    api('POST', `/v1/collections/${collectionId}/query`, { top_k: 10, ...body });
  const waitFor = async (batchId: string): Promise<void> => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const batch = await api('GET', `/v1/batches/${batchId}`);
      if (batch.body.finished) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`batch ${batchId} did not finish`);
  };

  beforeAll(async () => {
    t = await startTestServer({ concurrency: 2 });
    api = client(t.url, t.adminKey);
    collectionId = (await api('POST', '/v1/collections', { name: 'handbook' })).body.id;
    const data = form([
      { name: 'en/dhcp.txt', content: english('DHCP') },
      { name: 'de/dhcp.txt', content: german('DHCP') },
      { name: 'ja/dhcp.txt', content: japanese('DHCP') },
      { name: 'en/ldap.txt', content: english('LDAP') },
    ]);
    data.append('metadata', JSON.stringify({ product: 'handbook', edition: 12 }));
    data.append(
      'file_metadata',
      JSON.stringify({
        'en/dhcp.txt': { section: 'network', tags: ['dhcp', 'ipv4'], published: '2024-02-01' },
        'de/dhcp.txt': { section: 'network', published: '2024-05-01' },
        'ja/dhcp.txt': { section: 'network', published: '2024-09-01' },
        'en/ldap.txt': { section: 'directory', edition: 13, published: '2025-01-01' },
      }),
    );
    const answer = await upload(data);
    expect(answer.status).toBe(202);
    // The metadata fields are read, not reported as parts that could not be taken.
    expect(answer.body.refused).toEqual([]);
    await waitFor(answer.body.batch.id);
  });
  afterAll(() => t.close());

  it('keeps each file its metadata, merged over the request-wide one, and the language of its text', async () => {
    const documents = (await api('GET', `/v1/documents?collection=${collectionId}&limit=10`)).body.documents as {
      source: string;
      metadata: Record<string, unknown>;
      language: string | null;
      state: string;
    }[];
    const bySource = Object.fromEntries(documents.map((d) => [d.source, d]));
    expect(bySource['en/dhcp.txt']).toMatchObject({
      state: 'completed',
      language: 'en',
      metadata: { product: 'handbook', edition: 12, section: 'network', tags: ['dhcp', 'ipv4'] },
    });
    expect(bySource['en/ldap.txt']?.metadata).toMatchObject({ edition: 13, section: 'directory' });
    expect(bySource['de/dhcp.txt']?.language).toBe('de');
    expect(bySource['ja/dhcp.txt']?.language).toBe('ja');
  });

  it('filters every mode by language, metadata values, lists and ranges, and returns what it filtered on', async () => {
    for (const mode of ['hybrid', 'vector', 'text']) {
      const english = await query({ query: 'DHCP configuration', mode, filter: { language: 'en' } });
      expect(english.status).toBe(200);
      expect(new Set(english.body.hits.map((h: { source: string }) => h.source))).toEqual(
        new Set(['en/dhcp.txt', 'en/ldap.txt']),
      );
      expect(english.body.hits[0]).toMatchObject({ language: 'en', media_type: 'text/plain' });
    }
    const sources = async (filter: Record<string, unknown>, q = 'DHCP'): Promise<string[]> => {
      const answer = await query({ query: q, mode: 'vector', filter });
      expect(answer.status).toBe(200);
      return (answer.body.hits as { source: string }[]).map((h) => h.source).sort();
    };
    expect(await sources({ metadata: { section: 'network' }, language: ['de', 'ja'] })).toEqual([
      'de/dhcp.txt',
      'ja/dhcp.txt',
    ]);
    expect(await sources({ metadata: { tags: 'ipv4' } })).toEqual(['en/dhcp.txt']);
    expect(await sources({ metadata: { edition: { gte: 13 } } })).toEqual(['en/ldap.txt']);
    expect(await sources({ metadata: { published: { gte: '2024-03-01', lt: '2025-01-01' } } })).toEqual([
      'de/dhcp.txt',
      'ja/dhcp.txt',
    ]);
    expect(await sources({ metadata: { section: ['directory', 'none'] }, source_prefix: 'en/' })).toEqual([
      'en/ldap.txt',
    ]);
    expect(await sources({ media_type: 'application/pdf' })).toEqual([]);
    expect(await sources({ document_ids: [] })).toEqual([]);
    expect(await sources({ created_before: '2000-01-01' })).toEqual([]);
    const [hit] = (await query({ query: 'DHCP', mode: 'text', filter: { source_prefix: 'en/dhcp' } })).body.hits;
    expect(hit.metadata).toMatchObject({ product: 'handbook', section: 'network', published: '2024-02-01' });
  });

  it('refuses a filter it cannot read with invalid_input, rather than widening the search', async () => {
    for (const filter of [
      { langauge: 'en' },
      { metadata: { year: { gte: 1, in: [2] } } },
      { metadata: { year: {} } },
      { created_after: 'yesterday' },
      { metadata: { tags: [] } },
    ]) {
      const answer = await query({ query: 'DHCP', filter });
      expect(answer.status, JSON.stringify(filter)).toBe(400);
      expect(answer.body.code).toBe('invalid_input');
    }
  });

  it('reads metadata sent as an application/json part', async () => {
    const boundary = 'sluice-boundary';
    const body = [
      `--${boundary}`,
      'content-disposition: form-data; name="metadata"',
      'content-type: application/json',
      '',
      JSON.stringify({ origin: 'json-part' }),
      `--${boundary}`,
      'content-disposition: form-data; name="file"; filename="json-part.txt"',
      'content-type: text/plain',
      '',
      english('JSON part'),
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const response = await fetch(`${t.url}/v1/collections/${collectionId}/documents?wait=30`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    const answer = (await response.json()) as {
      documents: { metadata: Record<string, unknown> }[];
      refused: unknown[];
    };
    expect(response.status).toBe(200);
    expect(answer.documents[0]?.metadata).toEqual({ origin: 'json-part' });
    expect(answer.refused).toEqual([]);
  });

  it('refuses bad metadata with invalid_input and keeps nothing of the upload', async () => {
    const before = readdirSync(t.app.config.blobDir, { recursive: true }).length;
    const cases: [string, string][] = [
      ['metadata', '{not json'],
      ['metadata', JSON.stringify({ nested: { no: 1 } })],
      ['metadata', JSON.stringify({ 'bad key!': 1 })],
      ['metadata', JSON.stringify(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])))],
      ['file_metadata', JSON.stringify({ 'other.txt': { a: 1 } })],
      ['file_metadata', '[1]'],
    ];
    for (const [field, value] of cases) {
      const data = form([{ name: 'kept-out.txt', content: english(`case ${field} ${value.length}`) }]);
      data.append(field, value);
      const answer = await upload(data);
      expect(answer.status, value).toBe(400);
      expect(answer.body.code).toBe('invalid_input');
    }
    const documents = (await api('GET', `/v1/documents?collection=${collectionId}&limit=100`)).body.documents as {
      source: string;
    }[];
    expect(documents.map((d) => d.source)).not.toContain('kept-out.txt');
    expect(readdirSync(t.app.config.blobDir, { recursive: true }).length).toBe(before);
  });
});
