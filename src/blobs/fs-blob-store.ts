import { constants } from 'node:fs';
import { access, mkdir, opendir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../core/errors.js';
import type { BlobEntry, BlobStore } from '../ports/blob-store.js';
import { blobKey, createLocalStaging, filesOf, isMissing, statOf, usageOf } from './local-staging.js';
import { removeSetAside, settleLeftovers, type SetAside } from './set-aside-removal.js';
import { ownerGone, stagingName } from './staging-names.js';

/** A copy set aside this long ago belongs to a removal that a crash cut off. */
const interruptedRemovalMs = 10 * 60_000;

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

  const aside: SetAside = {
    async setAside(key) {
      await mkdir(trashDir, { recursive: true });
      const mine = join(trashDir, `${key}.${stagingName()}`);
      try {
        await rename(pathOf(key), mine);
        return mine;
      } catch (error) {
        if (isMissing(error)) {
          return undefined;
        }
        throw error;
      }
    },
    leftoversOf,
    drop: (path) => rm(path, { force: true }),
    putBack,
  };
  const staging = createLocalStaging(tmpDir);
  const stage: BlobStore['stage'] = (stream, maxBytes) =>
    staging.stage(stream, maxBytes, async ({ path, sha256, sizeBytes }) => {
      await mkdir(join(root, sha256.slice(0, 2)), { recursive: true });
      await rename(path, pathOf(sha256));
      return { key: sha256, sha256, sizeBytes };
    });

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
    remove(key, stillUnused) {
      return removeSetAside(aside, key, stillUnused);
    },
    async sweepStaging(maxAgeMs) {
      const keysAside = (await filesOf(trashDir)).map((name) => name.slice(0, 64)).filter((key) => blobKey.test(key));
      await settleLeftovers(aside, new Set(keysAside));
      return staging.sweep(maxAgeMs);
    },
    async ping() {
      await mkdir(root, { recursive: true });
      await access(root, constants.W_OK);
    },
    usage: () => usageOf(list, staging),
  };
}
