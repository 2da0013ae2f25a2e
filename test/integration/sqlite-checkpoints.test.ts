import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EmbeddedChunk } from '../../src/core/types.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { prng } from '../helpers/prng.js';

const dimension = 384;
const random = prng(20261205);

/** Writes about 10 MB (2,000 chunks of 2 kB of text and 384 floats) and reports the sizes of the database and its log. */
async function writeMegabytes(walAutocheckpointPages?: number): Promise<{ database: number; log: number }> {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-checkpoint-')), 'sluice.db');
  const store = createSqliteStore({
    path,
    ...(walAutocheckpointPages === undefined ? {} : { walAutocheckpointPages }),
  });
  const tenant = await store.ensureTenant('t');
  const collection = await store.ensureCollection(tenant.id, 'c', { name: 'test', model: 'random', dimension });
  const batch = await store.createBatch(collection.id, 'b');
  const { document } = await store.registerDocument({
    collectionId: collection.id,
    batchId: batch.id,
    source: 'a.txt',
    sha256: 'a',
    sizeBytes: 1,
  });
  await store.claim(document.id, 'att_1');
  await store.setStage(document.id, 'att_1', 'indexing');
  const chunks: EmbeddedChunk[] = Array.from({ length: 2000 }, (_, index) => {
    const text = Array.from({ length: 300 }, () => Math.floor(random() * 1e6).toString(36)).join(' ');
    return {
      index,
      text,
      tokenCount: 500,
      charStart: 0,
      charEnd: text.length,
      page: null,
      vector: Float32Array.from({ length: dimension }, () => random()),
    };
  });
  expect(await store.complete(document.id, 'att_1', 'text/plain', chunks)).toBe(true);
  const sizes = { database: statSync(path).size, log: statSync(`${path}-wal`).size };
  await store.close();
  return sizes;
}

describe('SQLite checkpoints', () => {
  it('copies the log back into the database after 1,000 pages by default, and not before the mark it is given', async () => {
    const eager = await writeMegabytes();
    // Checkpointed along the way: the database holds most of what was written, and the log restarted.
    expect(eager.database).toBeGreaterThan(8_000_000);
    expect(eager.log).toBeLessThan(8_000_000);
    const lazy = await writeMegabytes(10_000);
    // Not yet: everything is still in the log.
    expect(lazy.database).toBeLessThan(1_000_000);
    expect(lazy.log).toBeGreaterThan(8_000_000);
  });
});
