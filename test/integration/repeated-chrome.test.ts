import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createApp, type AppContext } from '../../src/app/create-app.js';
import { repeatedLineRule } from '../../src/core/repeated-lines.js';
import { expandPaths } from '../../src/services/expand-paths.js';

let app: AppContext | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const topics = ['printers', 'backups', 'firewalls', 'mail', 'DNS', 'kernels', 'users', 'logs', 'disks', 'time'];

/** A site whose banner and link list are plain `<div>`s and `<p>`s: nothing in the markup names them. */
function page(topic: string): string {
  const chrome = `<div class="top"><p>Acme Knowledge Base</p><div>Products</div><div>Pricing</div>
    <div>Customer stories</div><div>Careers at Acme</div><div>Contact the sales team</div><div>Sign in</div></div>`;
  const body = Array.from(
    { length: 6 },
    (_, i) => `<p>Section ${i + 1} about ${topic}: the administrator configures ${topic} with care, step ${i + 1}.</p>`,
  ).join('\n');
  return `<html><head><title>${topic}</title></head><body>${chrome}<h1>All about ${topic}</h1>${body}</body></html>`;
}

describe('page chrome found by repetition', () => {
  it('leaves out chunks of lines repeated on most of a collection’s pages, once enough pages are counted', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'sluice-chrome-')), 'site');
    mkdirSync(folder);
    topics.forEach((topic, i) => writeFileSync(join(folder, `page-${String(i).padStart(2, '0')}.html`), page(topic)));
    app = await createApp(
      loadConfig(
        {},
        {
          dataDir: join(folder, '..', 'data'),
          // One page at a time, so the count grows page by page; chunks small enough that the chrome is one.
          concurrency: 1,
          chunkTokens: 40,
          chunkOverlap: 0,
          logLevel: 'silent',
        },
      ),
    );
    await app.startWorkers();
    const collection = await app.ensureCollection((await app.defaultTenant()).id, 'site');
    const batch = await app.store.createBatch(collection.id, 'site');
    const { files } = await expandPaths([folder], folder);
    await app.submit({ collection, batch, files });
    await app.queue.idle();

    const chrome = await app.search(collection, { query: 'Careers at Acme', topK: 100, mode: 'text' });
    // Pages counted before the collection had enough pages to tell keep theirs; none after.
    expect(chrome.length).toBeGreaterThan(0);
    expect(chrome.length).toBeLessThan(repeatedLineRule.minDocuments);
    for (const topic of topics) {
      const [hit] = await app.search(collection, { query: `administrator configures ${topic}`, topK: 1, mode: 'text' });
      expect(hit?.text).toContain(topic);
    }
    const documents = await app.store.listDocuments({ batchId: batch.id });
    expect(documents.every((d) => d.state === 'completed')).toBe(true);
  });
});
