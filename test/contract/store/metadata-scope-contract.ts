import { describe, expect, it } from 'vitest';
import type { SearchScope } from '../../../src/core/search-scope.js';
import type { Store } from '../../../src/ports/store.js';
import type { StoreFactory } from './store-fixtures.js';
import { chunk, publish, register, useStores } from './store-fixtures.js';

/** Documents' metadata and language as the ledger keeps them, and searches narrowed to documents by them. */
export function describeMetadataScopeContract(name: string, createStore: StoreFactory): void {
  describe(`Metadata and search scopes contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('keeps the metadata a file came with, replaces it when it comes again, and keeps it through a new version without any', async () => {
      const fixture = await stores.open();
      const { store, collection, batch } = fixture;
      const first = await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'guide.md',
        sha256: 'v1',
        sizeBytes: 1,
        metadata: { team: 'infra', year: 2024, tags: ['a', 'b'], draft: false },
      });
      expect(first.document.metadata).toEqual({ team: 'infra', year: 2024, tags: ['a', 'b'], draft: false });
      expect((await store.getDocument(first.document.id))?.metadata).toEqual(first.document.metadata);
      expect((await store.getDocument(first.document.id))?.language).toBeNull();

      await publish(store, first.document.id, 'att_1', [chunk(0, 'install packages', [1, 0, 0, 0])]);
      // The same file sent again with new metadata: its bytes are skipped, its metadata taken.
      await store.registerDocument({
        collectionId: collection.id,
        batchId: batch.id,
        source: 'guide.md',
        sha256: 'v1',
        sizeBytes: 1,
        metadata: { team: 'web' },
      });
      expect((await store.getDocument(first.document.id))?.metadata).toEqual({ team: 'web' });
      const [hit] = await store.searchText(collection.id, 'install', 5, { metadata: [{ key: 'team', in: ['web'] }] });
      expect(hit?.metadata).toEqual({ team: 'web' });
      expect(
        await store.searchText(collection.id, 'install', 5, { metadata: [{ key: 'team', in: ['infra'] }] }),
      ).toEqual([]);

      // A new version sent without metadata keeps what the document had.
      const second = await register(fixture, 'guide.md', { sha256: 'v2' });
      expect(second.id).toBe(first.document.id);
      expect(second.metadata).toEqual({ team: 'web' });
    });

    it('records metadata of uploads, refused files included, and the language of a running attempt only', async () => {
      const { store, collection } = await stores.open();
      const upload = await store.recordUpload({
        collectionId: collection.id,
        label: 'upload',
        files: [
          { source: 'a.txt', sizeBytes: 1, sha256: 'sha_a', metadata: { lang: 'en' } },
          {
            source: 'b.txt',
            sizeBytes: 9,
            refused: { code: 'file_too_large', message: 'too large' },
            metadata: { x: 1 },
          },
        ],
      });
      if (upload.kind !== 'recorded') {
        throw new Error('not recorded');
      }
      const [a, b] = upload.outcomes.map((o) => o.document);
      expect(a?.metadata).toEqual({ lang: 'en' });
      expect((await store.getDocument(b!.id))?.metadata).toEqual({ x: 1 });

      await store.claim(a!.id, 'att_a');
      expect(await store.recordLanguage(a!.id, 'att_stale', 'de')).toBe(false);
      expect(await store.recordLanguage(a!.id, 'att_a', 'ja')).toBe(true);
      expect((await store.getDocument(a!.id))?.language).toBe('ja');
    });

    it('narrows vector and text searches to the documents within a scope, by every kind of condition', async () => {
      const fixture = await stores.open();
      const { store, collection } = fixture;
      const documents = [
        { source: 'en/a.txt', metadata: { team: 'infra', year: 2021, tags: ['linux', 'apt'], day: '2024-01-05' } },
        { source: 'en/b.txt', metadata: { team: 'web', year: 2023, tags: ['css'], day: '2024-03-01' } },
        { source: 'ja/c.txt', metadata: { team: 'infra', year: '2025', tags: ['linux'], day: '2024-06-30' } },
        { source: 'ja/d.pdf', metadata: {} },
      ];
      const ids: string[] = [];
      for (const [i, { source, metadata }] of documents.entries()) {
        const document = await register(fixture, source, { metadata });
        ids.push(document.id);
        await store.claim(document.id, `att_${i}`);
        await store.recordLanguage(document.id, `att_${i}`, source.startsWith('ja') ? 'ja' : 'en');
        await store.setStage(document.id, `att_${i}`, 'indexing');
        const mediaType = source.endsWith('.pdf') ? 'application/pdf' : 'text/plain';
        const vector = [1, i / 10, 0, 0];
        await store.complete(document.id, `att_${i}`, mediaType, [chunk(0, `install packages ${source}`, vector)]);
      }
      const both = async (scope: SearchScope): Promise<string[]> => {
        const byVector = (await store.searchVector(collection.id, new Float32Array([1, 0, 0, 0]), 10, scope)).map(
          (h) => h.source,
        );
        const byText = (await store.searchText(collection.id, 'install packages', 10, scope)).map((h) => h.source);
        expect([...byText].sort()).toEqual([...byVector].sort());
        return byVector.sort();
      };
      expect(await both({})).toEqual(['en/a.txt', 'en/b.txt', 'ja/c.txt', 'ja/d.pdf']);
      expect(await both({ metadata: [{ key: 'team', in: ['infra'] }] })).toEqual(['en/a.txt', 'ja/c.txt']);
      expect(await both({ metadata: [{ key: 'team', in: ['infra', 'web'] }] })).toEqual([
        'en/a.txt',
        'en/b.txt',
        'ja/c.txt',
      ]);
      // A list holds a value when any of its items is it.
      expect(await both({ metadata: [{ key: 'tags', in: ['linux'] }] })).toEqual(['en/a.txt', 'ja/c.txt']);
      // Numbers compare as numbers, a numeric string ("2025") among them; strings (dates) as text.
      expect(await both({ metadata: [{ key: 'year', gte: 2023 }] })).toEqual(['en/b.txt', 'ja/c.txt']);
      expect(await both({ metadata: [{ key: 'year', gt: 2021, lt: 2025 }] })).toEqual(['en/b.txt']);
      expect(await both({ metadata: [{ key: 'year', in: [2021] }] })).toEqual(['en/a.txt']);
      expect(await both({ metadata: [{ key: 'year', in: ['2025'] }] })).toEqual(['ja/c.txt']);
      expect(await both({ metadata: [{ key: 'day', gte: '2024-02-01', lte: '2024-06-30' }] })).toEqual([
        'en/b.txt',
        'ja/c.txt',
      ]);
      expect(
        await both({
          metadata: [
            { key: 'team', in: ['infra'] },
            { key: 'tags', in: ['apt'] },
          ],
        }),
      ).toEqual(['en/a.txt']);
      expect(await both({ languages: ['ja'] })).toEqual(['ja/c.txt', 'ja/d.pdf']);
      expect(await both({ mediaTypes: ['application/pdf'] })).toEqual(['ja/d.pdf']);
      expect(await both({ sourcePrefix: 'en/' })).toEqual(['en/a.txt', 'en/b.txt']);
      expect(await both({ sourcePrefix: 'en/', languages: ['ja'] })).toEqual([]);
      expect(await both({ documentIds: [ids[1]!, ids[3]!] })).toEqual(['en/b.txt', 'ja/d.pdf']);
      expect(await both({ createdAfter: '2000-01-01T00:00:00.000Z' })).toHaveLength(4);
      expect(await both({ createdBefore: '2000-01-01T00:00:00.000Z' })).toEqual([]);
      expect(await both({ metadata: [{ key: 'missing', in: ['x'] }] })).toEqual([]);
    });

    it('finds the k nearest chunks in a narrow scope and in a broad one, where a plain kNN would find none of them', async () => {
      const fixture = await stores.open();
      const { store, collection } = fixture;
      const publishOne = async (source: string, group: string, vector: number[]): Promise<void> => {
        const document = await register(fixture, source, { metadata: { group } });
        await publish(store, document.id, `att_${source}`, [chunk(0, `text of ${source}`, vector)]);
      };
      // 60 chunks near the query, 3 far from it in group "far", 40 others in group "broad" at middling distance.
      for (let i = 0; i < 60; i++) {
        await publishOne(`near${i}`, 'near', [1, i / 1000, 0, 0]);
      }
      for (let i = 0; i < 3; i++) {
        await publishOne(`far${i}`, 'far', [0, 0, 1, i / 10]);
      }
      for (let i = 0; i < 40; i++) {
        await publishOne(`broad${i}`, 'broad', [0.5, 0.5 + i / 100, 0, 0]);
      }
      const query = new Float32Array([1, 0, 0, 0]);
      const scoped = (group: string, k: number): Promise<string[]> =>
        store
          .searchVector(collection.id, query, k, { metadata: [{ key: 'group', in: [group] }] })
          .then((hits) => hits.map((h) => h.source));
      expect(await scoped('far', 5)).toEqual(['far0', 'far1', 'far2']);
      const broad = await scoped('broad', 5);
      expect(broad).toEqual(['broad0', 'broad1', 'broad2', 'broad3', 'broad4']);
      expect(await scoped('none', 5)).toEqual([]);
    });

    it('forgets the metadata of deleted documents', async () => {
      const fixture = await stores.open();
      const { store, collection } = fixture;
      const make = async (source: string): Promise<string> => {
        const document = await register(fixture, source, { metadata: { team: 'infra' } });
        await publish(store, document.id, `att_${source}`, [chunk(0, `install ${source}`, [1, 0, 0, 0])]);
        return document.id;
      };
      const id = await make('a');
      await store.deleteDocument(id);
      await make('b');
      const hits = await searchInfra(store, collection.id);
      expect(hits).toEqual(['b']);
    });
  });
}

async function searchInfra(store: Store, collectionId: string): Promise<string[]> {
  return (await store.searchText(collectionId, 'install', 10, { metadata: [{ key: 'team', in: ['infra'] }] })).map(
    (h) => h.source,
  );
}
