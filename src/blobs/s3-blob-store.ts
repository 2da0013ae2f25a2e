import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { SluiceError } from '../core/errors.js';
import type { BlobEntry, BlobStore } from '../ports/blob-store.js';
import { blobKey, createLocalStaging, usageOf } from './local-staging.js';
import { asStorageError, isNotFound } from './s3-errors.js';
import { removeSetAside, settleLeftovers, type SetAside } from './set-aside-removal.js';
import { ownerGone, stagingName } from './staging-names.js';

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Keys begin with it: '' or a path ending in `/`. */
  prefix: string;
  /** A local folder where uploads are received and hashed before they go to the bucket. */
  stagingDir: string;
  /** Parts of a multipart upload, and the size above which one is used. @defaultValue 8 MiB */
  partBytes?: number;
}

/** A copy set aside this long ago belongs to a removal that a crash cut off. */
const interruptedRemovalMs = 10 * 60_000;
/** Parts uploaded at once: memory held is about this many parts. */
const partsAtOnce = 4;

/**
 * Raw files in an S3-compatible bucket, content-addressed (`<prefix>ab/abcdef…`), so every API node and
 * worker reads the same files without a shared disk. An upload is received and hashed in a local
 * staging file first (a refused or cut-off request never reaches the bucket), then streamed to its key
 * (multipart above `partBytes`) unless the bucket holds those bytes already. A removal copies the
 * object aside (`<prefix>trash/`) and deletes it before the ledger is asked once more, as the folder
 * store renames; reads find a copy set aside, and the next sweep puts back what a crash left there.
 */
export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { client, bucket, prefix } = options;
  const partSize = options.partBytes ?? 8 * 1024 * 1024;
  const trashPrefix = `${prefix}trash/`;
  const staging = createLocalStaging(join(options.stagingDir, 'tmp'));
  const objectKey = (key: string): string => {
    if (!blobKey.test(key)) {
      throw new SluiceError('invalid_input', `Not a blob key: ${key}`);
    }
    return `${prefix}${key.slice(0, 2)}/${key}`;
  };
  /** One request; its failure as Sluice's error (see `asStorageError`). */
  const call = async <T>(request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw asStorageError(error, bucket);
    }
  };
  const exists = async (key: string): Promise<boolean> => {
    try {
      await call(() => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
      return true;
    } catch (error) {
      if (isNotFound(error)) {
        return false;
      }
      throw error;
    }
  };
  const copy = (from: string, to: string) =>
    call(() =>
      client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: to,
          CopySource: `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
        }),
      ),
    );
  const drop = (key: string) => call(() => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));

  /** Every object under `under`, page by page. */
  async function* objects(under: string): AsyncIterable<{ key: string; size: number; modified: number }> {
    let token: string | undefined;
    do {
      const page = await call(() =>
        client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: under, ContinuationToken: token })),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) {
          yield { key: object.Key, size: object.Size ?? 0, modified: object.LastModified?.getTime() ?? 0 };
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Copies of `key` set aside by removals, with when each was set aside. */
  const asideOf = async (key: string): Promise<{ key: string; modified: number }[]> => {
    const found = [];
    for await (const object of objects(`${trashPrefix}${key}.`)) {
      found.push(object);
    }
    return found;
  };
  /** Copies set aside by removals a crash cut off, but `mine`: their process is gone, or they are old. */
  const leftoversOf = async (key: string, mine: string | undefined): Promise<string[]> =>
    (await asideOf(key))
      .filter(
        (copy) =>
          copy.key !== mine &&
          (ownerGone(copy.key.slice(trashPrefix.length + key.length + 1)) ||
            Date.now() - copy.modified > interruptedRemovalMs),
      )
      .map((copy) => copy.key);
  /** Puts the first of `copies` back under its key and drops them all (they hold the same bytes). */
  const putBack = async (key: string, copies: string[]): Promise<void> => {
    let back = false;
    for (const copied of copies) {
      try {
        if (!back) {
          await copy(copied, objectKey(key));
          back = true;
        }
        await drop(copied);
      } catch (error) {
        // Another removal settled this copy meanwhile: the next one may still be there.
        if (!isNotFound(error)) {
          throw error;
        }
      }
    }
  };

  // S3 has no rename: a copy, then the delete.
  const aside: SetAside = {
    async setAside(key) {
      const mine = `${trashPrefix}${key}.${stagingName()}`;
      try {
        await copy(objectKey(key), mine);
        await drop(objectKey(key));
        return mine;
      } catch (error) {
        if (isNotFound(error)) {
          return undefined;
        }
        throw error;
      }
    },
    leftoversOf,
    drop: async (copied) => {
      await drop(copied);
    },
    putBack,
  };

  const stage: BlobStore['stage'] = (stream, maxBytes) =>
    staging.stage(stream, maxBytes, async ({ path, sha256, sizeBytes }) => {
      const target = objectKey(sha256);
      // Content-addressed: bytes already there are these bytes. An upload holds its keys (see
      // `BlobReferences.holdBlobs`) before it gets here, so a removal meanwhile puts them back.
      if (!(await exists(target))) {
        const body = createReadStream(path);
        try {
          await new Upload({
            client,
            params: { Bucket: bucket, Key: target, Body: body, ContentLength: sizeBytes },
            partSize,
            queueSize: partsAtOnce,
            leavePartsOnError: false,
          }).done();
        } catch (error) {
          throw asStorageError(error, bucket);
        } finally {
          body.destroy();
        }
      }
      return { key: sha256, sha256, sizeBytes };
    });

  async function* list(): AsyncIterable<BlobEntry> {
    const aside = new Map<string, number>();
    for await (const object of objects(trashPrefix)) {
      const key = object.key.slice(trashPrefix.length, trashPrefix.length + 64);
      if (blobKey.test(key)) {
        aside.set(key, object.size);
      }
    }
    const stored = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[0-9a-f]{2}/([0-9a-f]{64})$`);
    for await (const object of objects(prefix)) {
      const key = stored.exec(object.key)?.[1];
      if (key && !aside.has(key)) {
        yield { key, sizeBytes: object.size };
      }
    }
    for (const [key, sizeBytes] of aside) {
      yield { key, sizeBytes };
    }
  }

  const read = async (key: string): Promise<Uint8Array | undefined> => {
    try {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return await answer.Body?.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) {
        return undefined;
      }
      throw asStorageError(error, bucket);
    }
  };

  return {
    stage,
    async put(stream, maxBytes) {
      return (await stage(stream, maxBytes)).commit();
    },
    async get(key) {
      let bytes = await read(objectKey(key));
      // Set aside by a removal that then kept it, or that a crash cut off: still this key's bytes.
      for (const copied of bytes ? [] : await asideOf(key)) {
        bytes ??= await read(copied.key);
      }
      return bytes;
    },
    list,
    remove(key, stillUnused) {
      return removeSetAside(aside, key, stillUnused);
    },
    async sweepStaging(maxAgeMs) {
      const keysAside = new Set<string>();
      for await (const object of objects(trashPrefix)) {
        keysAside.add(object.key.slice(trashPrefix.length, trashPrefix.length + 64));
      }
      await settleLeftovers(
        aside,
        [...keysAside].filter((key) => blobKey.test(key)),
      );
      return staging.sweep(maxAgeMs);
    },
    usage: () => usageOf(list, staging),
    async ping() {
      try {
        await call(() => client.send(new HeadBucketCommand({ Bucket: bucket })));
      } catch (error) {
        // A HEAD has no body to name what is missing: here it can only be the bucket.
        throw isNotFound(error)
          ? new SluiceError('storage_not_found', `The object store has no bucket ${bucket}`)
          : error;
      }
    },
  };
}
