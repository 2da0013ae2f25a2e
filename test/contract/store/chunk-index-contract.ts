import { describe, expect, it } from 'vitest';
import type { StoreFactory } from './store-fixtures.js';
import { chunk, publish, register, spec, useStores } from './store-fixtures.js';

/** The `ChunkIndex` role: published chunks, searched by vector and by text, and counted. */
export function describeChunkIndexContract(name: string, createStore: StoreFactory): void {
  describe(`ChunkIndex contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('searches by vector and by full text within a collection', async () => {
      const { store, collection, batch, tenant } = await stores.open();
      const other = await store.ensureCollection(tenant.id, 'other', spec);
      const otherBatch = await store.createBatch(other.id, 'x');
      for (const [c, b, source, text, vector] of [
        [collection.id, batch.id, 'a', 'install packages with apt', [1, 0, 0, 0]],
        [collection.id, batch.id, 'b', 'configure the network', [0, 1, 0, 0]],
        [other.id, otherBatch.id, 'c', 'install packages elsewhere', [1, 0, 0, 0]],
      ] as const) {
        const { document } = await store.registerDocument({
          collectionId: c,
          batchId: b,
          source,
          sha256: source,
          sizeBytes: 1,
        });
        await publish(store, document.id, `att_${source}`, [chunk(0, text, [...vector])]);
      }
      const byVector = await store.searchVector(collection.id, new Float32Array([0.9, 0.1, 0, 0]), 2);
      expect(byVector.map((h) => h.source)).toEqual(['a', 'b']);
      expect(byVector[0]!.score).toBeGreaterThan(byVector[1]!.score);
      const byText = await store.searchText(collection.id, 'Install: "packages" OR (', 5);
      expect(byText.map((h) => h.source)).toEqual(['a']);
      expect(await store.searchText(collection.id, '  ', 5)).toEqual([]);
    });

    it('ranks chunks holding every term of a text query first, then fills with chunks holding any', async () => {
      const { store, collection, batch } = await stores.open();
      const texts = {
        only: 'network network network, the network again',
        both: 'install the drivers, then restart the network service and check the logs once more',
        other: 'install packages with apt',
        none: 'configure the printer',
      };
      for (const [source, text] of Object.entries(texts)) {
        const { document } = await store.registerDocument({
          collectionId: collection.id,
          batchId: batch.id,
          source,
          sha256: source,
          sizeBytes: 1,
        });
        await publish(store, document.id, `att_${source}`, [chunk(0, text, [1, 0, 0, 0])]);
      }
      expect((await store.searchText(collection.id, 'install network', 1)).map((h) => h.source)).toEqual(['both']);
      const filled = (await store.searchText(collection.id, 'install network', 5)).map((h) => h.source);
      expect(filled[0]).toBe('both');
      expect(filled.slice(1).sort()).toEqual(['only', 'other']);
      expect((await store.searchText(collection.id, 'printer network', 5)).map((h) => h.source).sort()).toEqual([
        'both',
        'none',
        'only',
      ]);
    });

    it('finds every chunk holding a Chinese, Japanese or Thai word inside a sentence, and no other', async () => {
      const { store, collection, batch } = await stores.open();
      const texts = {
        zh1: '用户的家目录中保存着配置文件。',
        zh2: '将配置文件复制到家目录', // a dictionary cuts this one 复制|到家|目录
        zh3: '安装软件包之前请更新软件包列表',
        zh4: '家庭网络的目录服务',
        ja1: 'ユーザーのホームディレクトリにあるファイルを削除します。',
        ja2: 'パッケージを管理者がインストールする',
        ja3: 'システム管理者は毎日ログを確認します',
        th1: 'ไฟล์การตั้งค่าในโฮมไดเรกทอรี',
        en1: 'The home directory holds the configuration files.',
      };
      for (const [source, text] of Object.entries(texts)) {
        const document = await register({ store, collection, batch }, source);
        await publish(store, document.id, `att_${source}`, [chunk(0, text, [1, 0, 0, 0])]);
      }
      const found = async (query: string) =>
        (await store.searchText(collection.id, query, 100)).map((h) => h.source).sort();
      expect(await found('家目录')).toEqual(['zh1', 'zh2']);
      expect(await found('软件包')).toEqual(['zh3']);
      expect(await found('目录')).toEqual(['zh1', 'zh2', 'zh4']);
      expect(await found('家')).toEqual(['zh1', 'zh2', 'zh4']);
      expect(await found('ホームディレクトリ')).toEqual(['ja1']);
      expect(await found('管理者')).toEqual(['ja2', 'ja3']);
      expect(await found('パッケージ インストール')).toEqual(['ja2']);
      expect(await found('ไดเรกทอรี')).toEqual(['th1']);
      expect(await found('directory')).toEqual(['en1']);
    });

    it('finds a word of a German or French document in its other forms, by the stems of its language', async () => {
      const { store, collection, batch } = await stores.open();
      const texts = {
        de: { language: 'de', text: 'Die Verzeichnisse der Benutzer liegen unter /home.' },
        fr: { language: 'fr', text: 'Les répertoires des utilisateurs sont sous /home.' },
        en: { language: 'en', text: 'The users have their own directories.' },
      };
      for (const [source, { language, text }] of Object.entries(texts)) {
        const document = await register({ store, collection, batch }, source);
        await publish(store, document.id, `att_${source}`, [chunk(0, text, [1, 0, 0, 0])], undefined, language);
      }
      const found = async (query: string) =>
        (await store.searchText(collection.id, query, 100)).map((h) => h.source).sort();
      expect(await found('Verzeichnis')).toEqual(['de']);
      expect(await found('Benutzern')).toEqual(['de']);
      expect(await found('Verzeichnisse Benutzer')).toEqual(['de']);
      expect(await found('répertoire utilisateur')).toEqual(['fr']);
      expect(await found('utilisateurs')).toEqual(['fr']);
      // English is stemmed as before, and German stop words in a German query do not stop it.
      expect(await found('directory user')).toEqual(['en']);
      expect(await found('wo sind die Verzeichnisse der Benutzer')).toEqual(['de']);
    });

    it('finds nothing of a document before it is published, and all of it after', async () => {
      const fixture = await stores.open();
      const { store, collection } = fixture;
      expect(await store.searchVector(collection.id, new Float32Array([1, 0, 0, 0]), 5)).toEqual([]);
      expect(await store.searchText(collection.id, 'otters', 5)).toEqual([]);
      const doc = await register(fixture, 'otters.txt');
      await store.claim(doc.id, 'att');
      await store.setStage(doc.id, 'att', 'embedding', { chunksTotal: 2, chunksEmbedded: 0 });
      await store.recordEmbedded(doc.id, 'att', 0, 2);
      await store.setStage(doc.id, 'att', 'indexing');
      // Embedded but not published: invisible to searches and counts.
      expect(await store.searchVector(collection.id, new Float32Array([1, 0, 0, 0]), 5)).toEqual([]);
      expect(await store.searchText(collection.id, 'otters', 5)).toEqual([]);
      expect(await store.countChunks(collection.id)).toBe(0);
      const chunks = [
        { ...chunk(0, 'otters swim in rivers', [1, 0, 0, 0]), charStart: 0, charEnd: 21, page: 1 },
        { ...chunk(1, 'otters eat fish', [0, 1, 0, 0]), charStart: 22, charEnd: 37, page: 2 },
      ];
      expect(await store.complete(doc.id, 'att', 'text/plain', chunks)).toBe(true);
      const hits = await store.searchText(collection.id, 'otters', 5);
      expect(
        hits
          .map(({ documentId, source, index, text, charStart, charEnd, page }) => ({
            documentId,
            source,
            index,
            text,
            charStart,
            charEnd,
            page,
          }))
          .sort((a, b) => a.index - b.index),
      ).toEqual([
        {
          documentId: doc.id,
          source: 'otters.txt',
          index: 0,
          text: 'otters swim in rivers',
          charStart: 0,
          charEnd: 21,
          page: 1,
        },
        {
          documentId: doc.id,
          source: 'otters.txt',
          index: 1,
          text: 'otters eat fish',
          charStart: 22,
          charEnd: 37,
          page: 2,
        },
      ]);
      expect(new Set(hits.map((h) => h.chunkId)).size).toBe(2);
      const nearest = await store.searchVector(collection.id, new Float32Array([0, 1, 0, 0]), 1);
      expect(nearest.map((h) => [h.documentId, h.index])).toEqual([[doc.id, 1]]);
    });

    it('reads back a document’s published chunks in order, a page at a time, and those of its latest version', async () => {
      const fixture = await stores.open();
      const { store } = fixture;
      const doc = await register(fixture, 'pages.txt');
      expect(await store.documentChunks(doc.id, { from: 0, limit: 10 })).toEqual([]);
      const texts = ['one', 'two', 'three', 'four', 'five'];
      await publish(
        store,
        doc.id,
        'att',
        texts.map((text, i) => ({ ...chunk(i, text, [1, 0, 0, 0]), page: i + 1 })),
      );
      const all = await store.documentChunks(doc.id, { from: 0, limit: 10 });
      expect(all.map((c) => c.text)).toEqual(texts);
      expect(all[1]).toEqual({ index: 1, text: 'two', tokenCount: 3, charStart: 10, charEnd: 13, page: 2 });
      expect((await store.documentChunks(doc.id, { from: 2, limit: 2 })).map((c) => c.index)).toEqual([2, 3]);
      expect(await store.documentChunks(doc.id, { from: 5, limit: 2 })).toEqual([]);
      expect(await store.documentChunks('doc_absent', { from: 0, limit: 2 })).toEqual([]);

      const again = await register(fixture, 'pages.txt', { sha256: 'second version' });
      expect(again.id).toBe(doc.id);
      await publish(store, doc.id, 'att_2', [chunk(0, 'new one', [1, 0, 0, 0]), chunk(1, 'new two', [0, 1, 0, 0])]);
      expect((await store.documentChunks(doc.id, { from: 0, limit: 10 })).map((c) => c.text)).toEqual([
        'new one',
        'new two',
      ]);
    });

    it('counts published chunks per collection and in all, and returns at most k hits, best first', async () => {
      const fixture = await stores.open();
      const { store, tenant, collection } = fixture;
      expect(await store.countChunks()).toBe(0);
      const vectors = [
        [1, 0, 0, 0],
        [0.8, 0.6, 0, 0],
        [0.6, 0.8, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
      ];
      const doc = await register(fixture, 'many');
      await publish(
        store,
        doc.id,
        'att',
        vectors.map((v, i) => chunk(i, `word ${'word '.repeat(i)}`, v)),
      );
      const other = await store.ensureCollection(tenant.id, 'other', spec);
      const { document } = await store.registerDocument({
        collectionId: other.id,
        batchId: (await store.createBatch(other.id, 'b')).id,
        source: 'x',
        sha256: 'x',
        sizeBytes: 1,
      });
      await publish(store, document.id, 'att_x', [chunk(0, 'word', [1, 0, 0, 0])]);
      expect(await store.countChunks(collection.id)).toBe(5);
      expect(await store.countChunks(other.id)).toBe(1);
      expect(await store.countChunks()).toBe(6);

      const byVector = await store.searchVector(collection.id, new Float32Array([1, 0, 0, 0]), 3);
      expect(byVector.map((h) => h.index)).toEqual([0, 1, 2]);
      expect(byVector.map((h) => h.score)).toEqual([...byVector.map((h) => h.score)].sort((a, b) => b - a));
      const byText = await store.searchText(collection.id, 'word', 2);
      expect(byText).toHaveLength(2);
      expect(byText[0]!.score).toBeGreaterThanOrEqual(byText[1]!.score);
      expect(await store.searchText(collection.id, 'absent', 5)).toEqual([]);
    });
  });
}
