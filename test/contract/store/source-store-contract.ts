import { describe, expect, it } from 'vitest';
import type { SourceObject } from '../../../src/ports/object-source.js';
import type { ScanReport } from '../../../src/ports/source-store.js';
import { startingReport } from '../../../src/services/scan-source.js';
import type { StoreFactory } from './store-fixtures.js';
import { register, useStores } from './store-fixtures.js';

const object = (key: string, etag = `"${key}-1"`): SourceObject => ({
  key,
  etag,
  sizeBytes: 10,
  lastModified: '2026-12-01T10:00:00.000Z',
});

function report(id: string, state: ScanReport['state'] = 'running'): ScanReport {
  return { ...startingReport('bat_x'), id, state };
}

/** The `SourceStore` role: sources, one scan of each at a time, and the version of each object ingested. */
export function describeSourceStoreContract(name: string, createStore: StoreFactory): void {
  describe(`SourceStore contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('keeps one source per collection and address, its patterns replaced when it is given again', async () => {
      const { store, collection } = await stores.open();
      const input = {
        collectionId: collection.id,
        type: 's3' as const,
        url: 's3://b/docs/',
        include: ['*.md'],
        exclude: [],
      };
      const first = await store.ensureSource(input);
      expect(first.created).toBe(true);
      expect(first.source).toMatchObject({
        collectionId: collection.id,
        url: 's3://b/docs/',
        include: ['*.md'],
        exclude: [],
        scan: null,
      });
      const again = await store.ensureSource({ ...input, include: [], exclude: ['drafts/**'] });
      expect(again.created).toBe(false);
      expect(again.source).toMatchObject({ id: first.source.id, include: [], exclude: ['drafts/**'] });
      await store.ensureSource({ ...input, url: 's3://b/other/' });
      expect((await store.listSources(collection.id)).map((s) => s.url)).toEqual(['s3://b/docs/', 's3://b/other/']);
      expect(await store.getSource(first.source.id)).toMatchObject({ exclude: ['drafts/**'] });
      expect(await store.deleteSource(first.source.id)).toBe(true);
      expect(await store.deleteSource(first.source.id)).toBe(false);
      expect(await store.getSource(first.source.id)).toBeUndefined();
    });

    it('runs one scan of a source at a time, unless the running one has gone silent', async () => {
      const { store, collection } = await stores.open();
      const { source } = await store.ensureSource({
        collectionId: collection.id,
        type: 's3',
        url: 's3://b/',
        include: [],
        exclude: [],
      });
      const past = new Date(Date.now() - 60_000);
      expect(await store.claimScan(source.id, report('scan_1'), past)).toBe(true);
      expect(await store.claimScan(source.id, report('scan_2'), past)).toBe(false);
      expect((await store.getSource(source.id))?.scan).toMatchObject({ id: 'scan_1', state: 'running' });
      expect(await store.updateScan(source.id, { ...report('scan_1'), listed: 5 })).toBe(true);
      // A scan last heard of before the cut-off is taken over; the one taken over can no longer report.
      expect(await store.claimScan(source.id, report('scan_3'), new Date(Date.now() + 1000))).toBe(true);
      expect(await store.updateScan(source.id, report('scan_1', 'done'))).toBe(false);
      expect(await store.updateScan(source.id, report('scan_3', 'done'))).toBe(true);
      expect(await store.claimScan(source.id, report('scan_4'), past)).toBe(true);
      expect((await store.getSource(source.id))?.scan).toMatchObject({ id: 'scan_4', state: 'running' });
      // One known to be orphaned is taken over at once, by one claimant only.
      expect(await store.claimScan(source.id, report('scan_5'), past, 'scan_3')).toBe(false);
      expect(await store.claimScan(source.id, report('scan_5'), past, 'scan_4')).toBe(true);
      expect(await store.claimScan(source.id, report('scan_6'), past, 'scan_4')).toBe(false);
      expect((await store.getSource(source.id))?.scan).toMatchObject({ id: 'scan_5', state: 'running' });
    });

    it('tells unchanged objects from changed ones, and lists those a scan did not see', async () => {
      const fixture = await stores.open();
      const { store, collection } = fixture;
      const { source } = await store.ensureSource({
        collectionId: collection.id,
        type: 's3',
        url: 's3://b/',
        include: [],
        exclude: [],
      });
      const docs = await Promise.all(['a', 'b', 'c'].map((k) => register(fixture, `s3://b/${k}`)));
      for (const [i, key] of ['a', 'b', 'c'].entries()) {
        await store.recordObject(source.id, 'scan_1', object(key), docs[i]?.id as string);
      }
      const listed = [object('a'), object('b', '"b-2"'), { ...object('c'), sizeBytes: 11 }, object('d')];
      expect([...(await store.unchangedObjects(source.id, 'scan_2', listed))]).toEqual(['a']);
      expect(await store.unchangedObjects(source.id, 'scan_2', [])).toEqual(new Set());
      expect([
        ...(await store.unchangedObjects(source.id, 'scan_2', [
          { ...object('a'), lastModified: '2026-12-02T10:00:00.000Z' },
        ])),
      ]).toEqual([]);
      await store.recordObject(source.id, 'scan_2', object('b', '"b-2"'), docs[1]?.id as string);
      // c could not be read this time: seen, its version kept.
      await store.seeObject(source.id, 'scan_2', 'c');
      expect(await store.unseenObjects(source.id, 'scan_2', 10)).toEqual([]);
      expect(await store.unseenObjects(source.id, 'scan_3', 2)).toEqual([
        { key: 'a', documentId: docs[0]?.id },
        { key: 'b', documentId: docs[1]?.id },
      ]);
      expect(
        [...(await store.unchangedObjects(source.id, 'scan_3', [object('b', '"b-2"'), object('c')]))].sort(),
      ).toEqual(['b', 'c']);
      await store.forgetObject(source.id, 'a');
      expect(await store.unseenObjects(source.id, 'scan_3', 10)).toEqual([]);
      // A deleted document's object is forgotten with it: the next scan reads the object again.
      expect(await store.deleteDocument(docs[1]?.id as string)).toBe(true);
      expect([...(await store.unchangedObjects(source.id, 'scan_4', [object('b', '"b-2"'), object('c')]))]).toEqual([
        'c',
      ]);
      // So is a deleted source's.
      expect(await store.deleteSource(source.id)).toBe(true);
      expect(await store.unseenObjects(source.id, 'scan_9', 10)).toEqual([]);
    });
  });
}
