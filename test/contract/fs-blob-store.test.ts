import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../../src/blobs/fs-blob-store.js';
import { describeBlobStoreContract } from './blob-store-contract.js';

const openFolder = () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-blobs-'));
  return Promise.resolve({
    blobs: createFsBlobStore(root),
    reopen: () => createFsBlobStore(root),
    cleanup: () => Promise.resolve(rmSync(root, { recursive: true, force: true })),
  });
};

describeBlobStoreContract('folder', openFolder);

describe('Folder blob store', () => {
  it("sweeps at once the staging files of this host's processes that are gone, not those of live ones", async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-blobs-'));
    try {
      const blobs = createFsBlobStore(root);
      mkdirSync(join(root, 'tmp'), { recursive: true });
      // pid 2^22 + 1 is above Linux's pid_max: no process has it.
      const dead = `${2 ** 22 + 1}.${randomUUID()}.${hostname()}`;
      const live = `${process.pid}.${randomUUID()}.${hostname()}`;
      const elsewhere = `${2 ** 22 + 1}.${randomUUID()}.another-host`;
      for (const name of [dead, live, elsewhere]) {
        writeFileSync(join(root, 'tmp', name), 'partial');
      }
      expect(await blobs.sweepStaging(60_000)).toEqual({ files: 1, bytes: 7 });
      expect(readdirSync(join(root, 'tmp')).sort()).toEqual([live, elsewhere].sort());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
