import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, opendir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SluiceError } from '../core/errors.js';
import type { BlobEntry, BlobStore, FileTally } from '../ports/blob-store.js';
import { ownerGone, stagingName } from './staging-names.js';

/**
 * What a file being stored may buffer ahead of the disk. At the default 16 KiB every 64 KiB read from
 * a socket is over the mark, and the upload pauses for each write to finish; with this, receiving a file
 * is faster (`npm run bench:upload`, measured in BENCH.md).
 */
const writeBufferBytes = 1024 * 1024;

const blobKey = /^[0-9a-f]{64}$/;
/** A copy set aside this long ago belongs to a removal that a crash cut off. */
const interruptedRemovalMs = 10 * 60_000;
const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** Files of a folder, or none if the folder does not exist. */
async function filesOf(dir: string): Promise<string[]> {
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
async function statOf(path: string): Promise<{ size: number; mtimeMs: number; ctimeMs: number } | undefined> {
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

/**
 * Raw files in a local folder, content-addressed (`ab/abcdef…`). Bytes are streamed to a staging file
 * (`tmp/`, named for the process that writes it) and hashed on the way, then renamed into place: a
 * crash or a limit hit leaves no half file under a real key, and the same content is stored once. A
 * removal first renames the blob aside (`trash/`), so no new reader finds it while the ledger is asked
 * once more whether anything uses it; a crash in between leaves it aside, where reads and the next
 * removal still find it.
 */
export function createFsBlobStore(root: string): BlobStore {
  const tmpDir = join(root, 'tmp');
  const trashDir = join(root, 'trash');
  const pathOf = (key: string): string => {
    if (!blobKey.test(key)) {
      throw new SluiceError('invalid_input', `Not a blob key: ${key}`);
    }
    return join(root, key.slice(0, 2), key);
  };
  /** Copies of `key` set aside by removals. */
  const asideOf = async (key: string): Promise<string[]> =>
    (await filesOf(trashDir)).filter((name) => name.startsWith(`${key}.`)).map((name) => join(trashDir, name));
  /**
   * Copies of `key` that removals a crash cut off left, but `mine`: their process is gone, or they
   * were set aside longer ago than any removal takes (the rename set their ctime).
   */
  const leftoversOf = async (key: string, mine: string | undefined): Promise<string[]> => {
    const left: string[] = [];
    for (const path of await asideOf(key)) {
      const found = path === mine ? undefined : await statOf(path);
      const name = path.slice(trashDir.length + 1 + key.length + 1);
      if (found && (ownerGone(name) || Date.now() - found.ctimeMs > interruptedRemovalMs)) {
        left.push(path);
      }
    }
    return left;
  };
  /**
   * Puts the first of `copies` that is still there back under its key (a commit meanwhile may have
   * written the same bytes there), and drops the others: they hold the same bytes.
   */
  const putBack = async (key: string, copies: string[]): Promise<void> => {
    await mkdir(join(root, key.slice(0, 2)), { recursive: true });
    let back = false;
    for (const copy of copies) {
      try {
        if (!back) {
          await rename(copy, pathOf(key));
          back = true;
        } else {
          await rm(copy, { force: true });
        }
      } catch (error) {
        if (!isMissing(error)) {
          throw error;
        }
      }
    }
  };

  /**
   * Ends what removals a crash cut off left aside: a copy goes back under its key, or is dropped where
   * the key holds the same bytes again. No removal may come for a file that is in use again, so
   * without this its copy would stay aside for good; one that is unused is removed by the next sweep.
   */
  const settleLeftovers = async (): Promise<void> => {
    const keys = new Set((await filesOf(trashDir)).map((name) => name.slice(0, 64)).filter((key) => blobKey.test(key)));
    for (const key of keys) {
      const leftovers = await leftoversOf(key, undefined);
      if (leftovers.length > 0) {
        await putBack(key, leftovers);
      }
    }
  };

  const stage: BlobStore['stage'] = async (stream, maxBytes) => {
    await mkdir(tmpDir, { recursive: true });
    const tmpPath = join(tmpDir, stagingName());
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

  async function* list(): AsyncIterable<BlobEntry> {
    const aside = new Set<string>();
    for (const name of await filesOf(trashDir)) {
      const key = name.slice(0, 64);
      const found = blobKey.test(key) && !aside.has(key) ? await statOf(join(trashDir, name)) : undefined;
      if (found) {
        aside.add(key);
        yield { key, sizeBytes: found.size };
      }
    }
    for (const prefix of await filesOf(root)) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) {
        continue;
      }
      for await (const entry of await opendir(join(root, prefix))) {
        const found = blobKey.test(entry.name) && !aside.has(entry.name) ? await statOf(pathOf(entry.name)) : undefined;
        if (found) {
          yield { key: entry.name, sizeBytes: found.size };
        }
      }
    }
  }

  return {
    stage,
    async put(stream, maxBytes) {
      return (await stage(stream, maxBytes)).commit();
    },
    async get(key) {
      const read = async (path: string): Promise<Uint8Array | undefined> =>
        readFile(path).catch((error: unknown) => {
          if (isMissing(error)) {
            return undefined;
          }
          throw error;
        });
      // Set aside by a removal that then kept it, or that a crash cut off: still this key's bytes.
      let bytes = await read(pathOf(key));
      for (const path of bytes ? [] : await asideOf(key)) {
        bytes ??= await read(path);
      }
      return bytes;
    },
    list,
    async remove(key, stillUnused) {
      await mkdir(trashDir, { recursive: true });
      // Each removal deletes or puts back the copy it set aside itself, never another removal's.
      let mine: string | undefined = join(trashDir, `${key}.${stagingName()}`);
      try {
        await rename(pathOf(key), mine);
      } catch (error) {
        if (!isMissing(error)) {
          throw error;
        }
        mine = undefined;
      }
      // Copies a removal that a crash cut off left: no live removal takes this long.
      const leftovers = await leftoversOf(key, mine);
      if (!mine && leftovers.length === 0) {
        return false;
      }
      let unused = false;
      try {
        unused = await stillUnused();
      } finally {
        if (unused) {
          await Promise.all([mine, ...leftovers].flatMap((path) => (path ? [rm(path, { force: true })] : [])));
        } else {
          await putBack(key, mine ? [mine, ...leftovers] : leftovers);
        }
      }
      return unused;
    },
    async sweepStaging(maxAgeMs) {
      await settleLeftovers();
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
    async usage() {
      const blobs: FileTally = { files: 0, bytes: 0 };
      for await (const entry of list()) {
        blobs.files++;
        blobs.bytes += entry.sizeBytes;
      }
      const staging: FileTally = { files: 0, bytes: 0 };
      for (const name of await filesOf(tmpDir)) {
        const found = await statOf(join(tmpDir, name));
        if (found) {
          staging.files++;
          staging.bytes += found.size;
        }
      }
      return { blobs, staging };
    },
  };
}
