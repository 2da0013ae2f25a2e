import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createApp, type AppContext } from '../../src/app/create-app.js';
import { expandPaths } from '../../src/services/expand-paths.js';
import { makeDocx, makeDocxZipBomb, makePdf } from '../helpers/make-files.js';

let app: AppContext | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function startApp(dataDir: string): Promise<AppContext> {
  app = await createApp(
    loadConfig({}, { dataDir, concurrency: 3, maxFileBytes: 32 * 1024 * 1024, retryBaseMs: 10, logLevel: 'silent' }),
  );
  return app;
}

async function ingest(a: AppContext, folder: string, collectionName = 'docs') {
  const collection = await a.ensureCollection((await a.defaultTenant()).id, collectionName);
  const batch = await a.store.createBatch(collection.id, folder);
  const { files } = await expandPaths([folder], folder);
  await a.submit({ collection, batch, files });
  await a.queue.idle();
  const documents = await a.store.listDocuments({ batchId: batch.id, limit: 1000 });
  const byName = new Map(documents.map((d) => [d.source.slice(folder.length + 1), d]));
  return { collection, batch, documents, byName };
}

describe('embedded pipeline', () => {
  it('ingests a mixed batch: good files complete, each bad file fails alone with its code, duplicates are skipped', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-batch-'));
    const folder = join(root, 'in');
    const write = (name: string, data: string | Buffer) => writeFileSync(join(folder, name), data, { flag: 'w' });
    await import('node:fs/promises').then((fs) => fs.mkdir(folder));
    const paragraph = (topic: string) =>
      `${topic} is described here in some detail, sentence after sentence. `.repeat(40);
    write('guide.md', `# Guide\n\n${paragraph('Installation')}\n\n## Next\n\n${paragraph('Configuration')}`);
    write('notes.txt', paragraph('The zebra migration'));
    write('notes2.txt', paragraph('The zebra migration'));
    write(
      'page.html',
      `<html><body><h1>Welcome</h1><p>${paragraph('Hypertext')}</p><script>alert(1)</script></body></html>`,
    );
    write('table.csv', 'name,role\nAda,engineer\nGrace,admiral\n');
    write('data.json', JSON.stringify({ project: { name: 'sluice', tags: ['rag', 'ingest'] } }));
    const lines = (bird: string) =>
      Array.from({ length: 40 }, (_, i) => `Line ${i}: the ${bird} of the northern marsh were counted again.`).join(
        '\n',
      );
    write(
      'report.pdf',
      await makePdf([
        `Quarterly report on pelican counts.\n${lines('pelicans')}`,
        `Second page on heron counts.\n${lines('herons')}`,
      ]),
    );
    write('letter.docx', await makeDocx('Letter', ['Dear reader, the flamingo census is complete.']));
    const pdf = await makePdf(['This PDF is cut short.']);
    write('truncated.pdf', pdf.subarray(0, Math.floor(pdf.length / 3)));
    write('zero.txt', '');
    write('binary.txt', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0]));
    write('latin1.txt', Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e', 'latin1'));
    write('one-line.txt', Buffer.alloc(50 * 1024 * 1024, 0x61));
    write('bomb.docx', makeDocxZipBomb(200 * 1024 * 1024));

    const a = await startApp(join(root, 'data'));
    await a.startWorkers();
    const { collection, batch, documents, byName } = await ingest(a, folder);
    const states = Object.fromEntries([...byName].map(([name, d]) => [name, d.errorCode ?? d.state]));
    expect(states).toEqual({
      'guide.md': 'completed',
      'notes.txt': 'completed',
      'notes2.txt': 'skipped',
      'page.html': 'completed',
      'table.csv': 'completed',
      'data.json': 'completed',
      'report.pdf': 'completed',
      'letter.docx': 'completed',
      'truncated.pdf': 'corrupt_file',
      'zero.txt': 'empty_document',
      'binary.txt': 'unsupported_media_type',
      'latin1.txt': 'unsupported_encoding',
      'one-line.txt': 'file_too_large',
      'bomb.docx': 'archive_too_large',
    });
    expect(byName.get('notes2.txt')!.duplicateOf).toBe(byName.get('notes.txt')!.id);
    expect(documents.filter((d) => d.state === 'failed').every((d) => d.errorMessage && d.attempts <= 1)).toBe(true);
    const progress = await a.store.getBatchProgress(batch.id);
    expect(progress).toMatchObject({ finished: true, filesTotal: 14, filesDone: 14 });

    const hits = await a.search(collection, { query: 'pelican counts', topK: 3, mode: 'hybrid' });
    expect(hits[0]).toMatchObject({ source: join(folder, 'report.pdf'), page: 1 });
    const heron = await a.search(collection, { query: 'herons', topK: 5, mode: 'text' });
    expect(heron.map((h) => h.page)).toContain(2);
    const flamingo = await a.search(collection, { query: 'flamingo census', topK: 1, mode: 'vector' });
    expect(flamingo[0]?.source).toBe(join(folder, 'letter.docx'));
  });

  it('re-ingesting an edited file replaces its chunks; unchanged files are skipped; a restart resumes queued work', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-reingest-'));
    const folder = join(root, 'in');
    await import('node:fs/promises').then((fs) => fs.mkdir(folder));
    writeFileSync(join(folder, 'a.txt'), 'Original words about otters. '.repeat(200));
    writeFileSync(join(folder, 'b.txt'), 'Stable words about beavers. '.repeat(200));
    let a = await startApp(join(root, 'data'));
    await a.startWorkers();
    const first = await ingest(a, folder);
    const chunksBefore = await a.store.countChunks(first.collection.id);
    expect(first.documents.map((d) => d.state)).toEqual(['completed', 'completed']);

    writeFileSync(join(folder, 'a.txt'), 'Rewritten words about seals. '.repeat(50));
    const second = await ingest(a, folder);
    expect(second.byName.get('a.txt')).toMatchObject({ state: 'completed', id: first.byName.get('a.txt')!.id });
    expect(second.byName.get('b.txt')).toMatchObject({ state: 'skipped', duplicateOf: first.byName.get('b.txt')!.id });
    expect(await a.store.countChunks(first.collection.id)).toBeLessThan(chunksBefore);
    expect(await a.search(first.collection, { query: 'otters', topK: 5, mode: 'text' })).toEqual([]);
    expect((await a.search(first.collection, { query: 'seals', topK: 5, mode: 'text' })).length).toBeGreaterThan(0);

    // Files queued by a process that stops before working on them are picked up by the next start.
    await a.close();
    writeFileSync(join(folder, 'c.txt'), 'Late words about walruses. '.repeat(100));
    a = await startApp(join(root, 'data'));
    const collection = await a.ensureCollection((await a.defaultTenant()).id, 'docs');
    const batch = await a.store.createBatch(collection.id, 'late');
    await a.submit({ collection, batch, files: (await expandPaths([join(folder, 'c.txt')], folder)).files });
    expect((await a.store.getBatchProgress(batch.id))?.byState).toEqual({ queued: 1 });
    await a.close();
    a = await startApp(join(root, 'data'));
    expect(await a.startWorkers()).toBe(1);
    await a.queue.idle();
    expect((await a.store.getBatchProgress(batch.id))?.byState).toEqual({ completed: 1 });
  });
});
