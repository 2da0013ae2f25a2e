import { createHash, randomUUID } from 'node:crypto';
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

  it('puts back what removals a crash cut off set aside, though no removal comes for a file still in use', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-blobs-'));
    try {
      const blobs = createFsBlobStore(root);
      const aside = (name: string, owner: string) => {
        mkdirSync(join(root, 'trash'), { recursive: true });
        writeFileSync(join(root, 'trash', `${sha256(name)}.${owner}.${randomUUID()}.${hostname()}`), name);
      };
      const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
      // Set aside by two dead removals and not stored: in use again since, so one goes back under its key.
      aside('only aside', String(2 ** 22 + 1));
      aside('only aside', String(2 ** 22 + 2));
      // Set aside by a dead removal while an upload stored the same bytes again: the stored one stays.
      const { key: stored } = await blobs.put(Readable.from([Buffer.from('stored too')]), 100);
      aside('stored too', String(2 ** 22 + 1));
      // Set aside by a live removal: left to it.
      aside('live removal', String(process.pid));
      await blobs.sweepStaging(60_000);
      expect(readdirSync(join(root, 'trash')).map((name) => name.slice(0, 64))).toEqual([sha256('live removal')]);
      expect(readdirSync(join(root, sha256('only aside').slice(0, 2)))).toContain(sha256('only aside'));
      expect(Buffer.from((await blobs.get(stored))!).toString()).toBe('stored too');
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
