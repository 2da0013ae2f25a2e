import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SluiceError } from '../core/errors.js';
import type { BlobStore } from '../ports/blob-store.js';

/**
 * What a file being stored may buffer ahead of the disk. At the default 16 KiB every 64 KiB read from
 * a socket is over the mark, and the upload pauses for each write to finish; with this, receiving a file
 * is faster (`npm run bench:upload`, measured in BENCH.md).
 */
const writeBufferBytes = 1024 * 1024;

/**
 * Raw files in a local folder, content-addressed (`ab/abcdef…`). Bytes are streamed to a temporary
 * file and hashed on the way, then renamed into place: a crash or a limit hit leaves no half file
 * under a real key, and the same content is stored once.
 */
export function createFsBlobStore(root: string): BlobStore {
  const pathOf = (key: string): string => {
    if (!/^[0-9a-f]{64}$/.test(key)) {
      throw new SluiceError('invalid_input', `Not a blob key: ${key}`);
    }
    return join(root, key.slice(0, 2), key);
  };

  const stage: BlobStore['stage'] = async (stream, maxBytes) => {
    const tmpDir = join(root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmpPath = join(tmpDir, randomUUID());
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
    const sink = createWriteStream(tmpPath, { highWaterMark: writeBufferBytes });
    try {
      await pipeline(stream, meter, sink);
    } catch (error) {
      // A sink destroyed while its open() is still pending creates the file afterwards: wait for it
      // to close, or the file would appear after its removal.
      if (!sink.closed) {
        await new Promise<void>((resolve) => sink.once('close', () => resolve()));
      }
      await rm(tmpPath, { force: true });
      throw error;
    }
    const sha256 = hash.digest('hex');
    let settled = false;
    return {
      sha256,
      sizeBytes: size,
      async commit() {
        settled = true;
        await mkdir(join(root, sha256.slice(0, 2)), { recursive: true });
        await rename(tmpPath, pathOf(sha256));
        return { key: sha256, sha256, sizeBytes: size };
      },
      async discard() {
        if (!settled) {
          settled = true;
          await rm(tmpPath, { force: true });
        }
      },
    };
  };

  return {
    stage,
    async put(stream, maxBytes) {
      return (await stage(stream, maxBytes)).commit();
    },
    async get(key) {
      try {
        return await readFile(pathOf(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return undefined;
        }
        throw error;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
