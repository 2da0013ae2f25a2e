import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/ports/blob-store.js';

/** Opens a blob store on an empty place of its own. */
export type BlobStoreFactory = () => Promise<{ blobs: BlobStore; cleanup(): Promise<void> }>;

const bytes = (text: string): Readable => Readable.from([Buffer.from(text)]);

async function keysOf(blobs: BlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of blobs.list()) {
    keys.push(entry.key);
  }
  return keys.sort();
}

/** The behaviour every BlobStore adapter must show; run it against each. */
export function describeBlobStoreContract(name: string, open: BlobStoreFactory): void {
  describe(`BlobStore contract: ${name}`, () => {
    const using = async (test: (opened: Awaited<ReturnType<BlobStoreFactory>>) => Promise<void>): Promise<void> => {
      const opened = await open();
      try {
        await test(opened);
      } finally {
        await opened.cleanup();
      }
    };

    it('stores content once under its SHA-256, lists it with its size, and reads it back', () =>
      using(async ({ blobs }) => {
        const a = await blobs.put(bytes('hello'), 100);
        const again = await blobs.put(bytes('hello'), 100);
        expect(a).toEqual({
          key: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
          sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
          sizeBytes: 5,
        });
        expect(again).toEqual(a);
        expect(Buffer.from((await blobs.get(a.key))!).toString()).toBe('hello');
        expect(await blobs.get('0'.repeat(64))).toBeUndefined();
        const listed = [];
        for await (const entry of blobs.list()) {
          listed.push(entry);
        }
        expect(listed).toEqual([{ key: a.key, sizeBytes: 5 }]);
        expect(await blobs.usage()).toEqual({ blobs: { files: 1, bytes: 5 }, staging: { files: 0, bytes: 0 } });
      }));

    it('leaves nothing of a staged file discarded, or of one over the limit', () =>
      using(async ({ blobs }) => {
        const staged = await blobs.stage(bytes('not kept'), 100);
        expect((await blobs.usage()).staging.files).toBe(1);
        await staged.discard();
        await staged.discard();
        await expect(blobs.stage(bytes('far too long'), 4)).rejects.toMatchObject({ code: 'file_too_large' });
        expect(await blobs.usage()).toEqual({ blobs: { files: 0, bytes: 0 }, staging: { files: 0, bytes: 0 } });
      }));

    it('removes a blob only if it is still unused once no reader can find it', () =>
      using(async ({ blobs }) => {
        const { key } = await blobs.put(bytes('kept'), 100);
        expect(await blobs.remove(key, () => Promise.resolve(false))).toBe(false);
        expect(Buffer.from((await blobs.get(key))!).toString()).toBe('kept');
        await expect(blobs.remove(key, () => Promise.reject(new Error('ledger down')))).rejects.toThrow('ledger down');
        expect(await keysOf(blobs)).toEqual([key]);
        expect(await blobs.remove(key, () => Promise.resolve(true))).toBe(true);
        expect(await blobs.get(key)).toBeUndefined();
        expect(await keysOf(blobs)).toEqual([]);
        expect(await blobs.remove(key, () => Promise.resolve(true))).toBe(false);
      }));

    it('keeps the same bytes stored again while a removal decides', () =>
      using(async ({ blobs }) => {
        const { key } = await blobs.put(bytes('again'), 100);
        const removed = await blobs.remove(key, async () => {
          await blobs.put(bytes('again'), 100);
          return true;
        });
        expect(removed).toBe(true);
        expect(Buffer.from((await blobs.get(key))!).toString()).toBe('again');
        expect(await keysOf(blobs)).toEqual([key]);
      }));

    it('keeps the bytes readable while a removal asks, and when overlapping removals disagree', () =>
      using(async ({ blobs }) => {
        const { key } = await blobs.put(bytes('contested'), 100);
        let readMeanwhile: Uint8Array | undefined;
        let finishFirst!: () => void;
        const firstDone = new Promise<void>((resolve) => (finishFirst = resolve));
        let second: Promise<boolean> | undefined;
        // The first removal finds the bytes unused; meanwhile an upload stores them again and a second
        // removal, which finds them in use, only decides once the first has finished.
        const first = await blobs.remove(key, async () => {
          readMeanwhile = await blobs.get(key);
          await blobs.put(bytes('contested'), 100);
          second = blobs.remove(key, async () => {
            await firstDone;
            return false;
          });
          await new Promise((resolve) => setTimeout(resolve, 50));
          return true;
        });
        finishFirst();
        expect(first).toBe(true);
        expect(await second).toBe(false);
        expect(Buffer.from(readMeanwhile!).toString()).toBe('contested');
        expect(Buffer.from((await blobs.get(key))!).toString()).toBe('contested');
        expect(await keysOf(blobs)).toEqual([key]);
      }));

    it('stores one object for concurrent puts of the same content', () =>
      using(async ({ blobs }) => {
        const stored = await Promise.all(Array.from({ length: 6 }, () => blobs.put(bytes('the same bytes'), 100)));
        expect(new Set(stored.map((blob) => blob.key)).size).toBe(1);
        expect(await keysOf(blobs)).toEqual([stored[0]!.key]);
        expect(Buffer.from((await blobs.get(stored[0]!.key))!).toString()).toBe('the same bytes');
        expect((await blobs.usage()).staging).toEqual({ files: 0, bytes: 0 });
      }));

    it('leaves nothing of a put whose stream fails half-way', () =>
      using(async ({ blobs }) => {
        async function* cutOff() {
          yield Buffer.alloc(256 * 1024, 1);
          await new Promise((resolve) => setTimeout(resolve, 10));
          throw new Error('connection reset by peer');
        }
        await expect(blobs.put(cutOff(), 10 * 1024 * 1024)).rejects.toThrow('connection reset by peer');
        expect(await blobs.usage()).toEqual({ blobs: { files: 0, bytes: 0 }, staging: { files: 0, bytes: 0 } });
      }));

    it('streams a 200 MB body in without holding it in memory', () =>
      using(async ({ blobs }) => {
        const total = 200 * 1024 * 1024;
        const block = Buffer.alloc(1024 * 1024, 7);
        async function* body() {
          for (let sent = 0; sent < total; sent += block.length) {
            yield block;
          }
        }
        const before = process.memoryUsage().rss;
        let peak = before;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
        try {
          const stored = await blobs.put(body(), total);
          expect(stored.sizeBytes).toBe(total);
          expect((await blobs.usage()).blobs).toEqual({ files: 1, bytes: total });
        } finally {
          clearInterval(sampler);
        }
        expect(peak - before).toBeLessThan(120 * 1024 * 1024);
      }));

    it('sweeps staged files left untouched past the age given, and keeps younger ones', () =>
      using(async ({ blobs }) => {
        await blobs.stage(bytes('abandoned'), 100);
        expect(await blobs.sweepStaging(60_000)).toEqual({ files: 0, bytes: 0 });
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(await blobs.sweepStaging(10)).toEqual({ files: 1, bytes: 9 });
        expect((await blobs.usage()).staging).toEqual({ files: 0, bytes: 0 });
      }));
  });
}
