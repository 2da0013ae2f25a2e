import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../../src/blobs/fs-blob-store.js';
import { describeBlobStoreContract } from './blob-store-contract.js';

const openFolder = () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-blobs-'));
  return Promise.resolve({
    blobs: createFsBlobStore(root),
    cleanup: () => Promise.resolve(rmSync(root, { recursive: true, force: true })),
  });
};

describeBlobStoreContract('folder', openFolder);

describe('Folder blob store', () => {
  it('finds a file a removal cut off by a crash set aside, and the next removal puts it back or finishes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-blobs-'));
    try {
      const blobs = createFsBlobStore(root);
      const { key } = await blobs.put(Readable.from([Buffer.from('interrupted')]), 100);
      // What a removal leaves when its process dies between setting the file aside and deciding.
      const setAside = () => {
        mkdirSync(join(root, 'trash'), { recursive: true });
        renameSync(
          join(root, key.slice(0, 2), key),
          join(root, 'trash', `${key}.${2 ** 22 + 1}.${randomUUID()}.${hostname()}`),
        );
      };
      setAside();
      expect(Buffer.from((await blobs.get(key))!).toString()).toBe('interrupted');
      expect(await blobs.remove(key, () => Promise.resolve(false))).toBe(false);
      expect(existsSync(join(root, key.slice(0, 2), key))).toBe(true);
      expect(readdirSync(join(root, 'trash'))).toEqual([]);
      setAside();
      expect(await blobs.remove(key, () => Promise.resolve(true))).toBe(true);
      expect(await blobs.get(key)).toBeUndefined();
      expect(readdirSync(join(root, 'trash'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

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
