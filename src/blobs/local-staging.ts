import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SluiceError } from '../core/errors.js';
import type { BlobEntry, FileTally, StagedBlob, StoredBlob } from '../ports/blob-store.js';
import { ownerGone, stagingName } from './staging-names.js';

/**
 * What a file being stored may buffer ahead of the disk. At the default 16 KiB every 64 KiB read from
 * a socket is over the mark, and the upload pauses for each write to finish; with this, receiving a file
 * is faster (`npm run bench:upload`, measured in BENCH.md).
 */
const writeBufferBytes = 1024 * 1024;

export const blobKey = /^[0-9a-f]{64}$/;
export const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** Files of a folder, or none if the folder does not exist. */
export async function filesOf(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isMissing(error)) {
      return [];
    }
    throw error;
  }
}

/** A file's size and times, or undefined if it is gone. */
export async function statOf(path: string): Promise<{ size: number; mtimeMs: number; ctimeMs: number } | undefined> {
  try {
    const { size, mtimeMs, ctimeMs } = await stat(path);
    return { size, mtimeMs, ctimeMs };
  } catch (error) {
    if (isMissing(error)) {
      return undefined;
    }
    throw error;
  }
}

/** A staged file's place and what was learnt of its bytes on the way in. */
export interface StagedFile {
  path: string;
  sha256: string;
  sizeBytes: number;
}

/**
 * Files received into a local folder (`tmp/`), each named for the process that writes it, hashed as
 * they arrive; a store then keeps them under their key (`commit`) or they go. What a dead process left
 * is swept.
 */
export function createLocalStaging(tmpDir: string) {
  return {
    /** Streams the bytes to a staging file; `commit` stores it (and may move or remove the file). */
    async stage(
      stream: AsyncIterable<Uint8Array>,
      maxBytes: number,
      commit: (file: StagedFile) => Promise<StoredBlob>,
    ): Promise<StagedBlob> {
      await mkdir(tmpDir, { recursive: true });
      const path = join(tmpDir, stagingName());
      const hash = createHash('sha256');
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback: TransformCallback) {
          size += chunk.length;
          if (size > maxBytes) {
            callback(new SluiceError('file_too_large', `The file is larger than the limit of ${maxBytes} bytes`));
            return;
          }
          hash.update(chunk);
          callback(null, chunk);
        },
      });
      const sink = createWriteStream(path, { highWaterMark: writeBufferBytes });
      try {
        await pipeline(stream, meter, sink);
      } catch (error) {
        // A sink destroyed while its open() is still pending creates the file afterwards: wait for it
        // to close, or the file would appear after its removal.
        if (!sink.closed) {
          await new Promise<void>((resolve) => sink.once('close', () => resolve()));
        }
        await rm(path, { force: true });
        throw error;
      }
      const file = { path, sha256: hash.digest('hex'), sizeBytes: size };
      let settled = false;
      return {
        sha256: file.sha256,
        sizeBytes: file.sizeBytes,
        async commit() {
          settled = true;
          try {
            return await commit(file);
          } finally {
            await rm(path, { force: true });
          }
        },
        async discard() {
          if (!settled) {
            settled = true;
            await rm(path, { force: true });
          }
        },
      };
    },

    /** Removes staging files of this host's processes that are gone, and any untouched for `maxAgeMs`. */
    async sweep(maxAgeMs: number): Promise<FileTally> {
      const removed: FileTally = { files: 0, bytes: 0 };
      const now = Date.now();
      for (const name of await filesOf(tmpDir)) {
        const path = join(tmpDir, name);
        const found = await statOf(path);
        if (found && (ownerGone(name) || now - found.mtimeMs > maxAgeMs)) {
          await rm(path, { force: true });
          removed.files++;
          removed.bytes += found.size;
        }
      }
      return removed;
    },

    async usage(): Promise<FileTally> {
      const staging: FileTally = { files: 0, bytes: 0 };
      for (const name of await filesOf(tmpDir)) {
        const found = await statOf(join(tmpDir, name));
        if (found) {
          staging.files++;
          staging.bytes += found.size;
        }
      }
      return staging;
    },
  };
}

/** A store's usage: its stored blobs as it lists them, and its staging folder. */
export async function usageOf(
  list: () => AsyncIterable<BlobEntry>,
  staging: { usage(): Promise<FileTally> },
): Promise<{ blobs: FileTally; staging: FileTally }> {
  const blobs: FileTally = { files: 0, bytes: 0 };
  for await (const entry of list()) {
    blobs.files++;
    blobs.bytes += entry.sizeBytes;
  }
  return { blobs, staging: await staging.usage() };
}
