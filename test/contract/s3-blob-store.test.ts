import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import { CopyObjectCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3BlobStore } from '../../src/blobs/s3-blob-store.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { describeBlobStoreContract } from './blob-store-contract.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(() => s3.stop());

const stagingDir = () => mkdtempSync(join(tmpdir(), 'sluice-s3-staging-'));

/** A store on a bucket of its own, with small parts so that multipart uploads happen in the tests. */
async function openBucket(client = s3.client(), bucket?: string) {
  const dir = stagingDir();
  return {
    blobs: createS3BlobStore({
      client,
      bucket: bucket ?? (await s3.newBucket()),
      prefix: 'raw/',
      stagingDir: dir,
      partBytes: 5 * 1024 * 1024,
    }),
    cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}

describeBlobStoreContract('S3', () => openBucket());

describe('S3 blob store', () => {
  const bytes = (text: string) => Readable.from([Buffer.from(text)]);

  it('reads what removals a crash cut off set aside, and a sweep puts it back under its key', async () => {
    const client = s3.client();
    const bucket = await s3.newBucket();
    const { blobs, cleanup } = await openBucket(client, bucket);
    try {
      const { key } = await blobs.put(bytes('interrupted'), 100);
      const stored = `raw/${key.slice(0, 2)}/${key}`;
      // What two removals leave when their processes die between setting the object aside and deciding
      // (pid 2^22 + 1 and + 2 are above Linux's pid_max: no process has them).
      for (const pid of [2 ** 22 + 1, 2 ** 22 + 2]) {
        await client.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: `raw/trash/${key}.${pid}.${randomUUID()}.${hostname()}`,
            CopySource: `${bucket}/${stored}`,
          }),
        );
      }
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: stored }));
      expect(Buffer.from((await blobs.get(key))!).toString()).toBe('interrupted');
      await blobs.sweepStaging(60_000);
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'raw/' }));
      expect((listed.Contents ?? []).map((object) => object.Key)).toEqual([stored]);
    } finally {
      await cleanup();
    }
  });

  it('retries what S3 throttles or drops, and says the store is unavailable when it goes on', async () => {
    const { blobs, cleanup } = await openBucket();
    try {
      s3.failNext(2, 'slowdown');
      s3.failNext(1, 'reset');
      const { key } = await blobs.put(bytes('through the storm'), 100);
      expect(Buffer.from((await blobs.get(key))!).toString()).toBe('through the storm');
      // More failures in a row than the client's attempts (5).
      s3.failNext(12, 'slowdown');
      await expect(blobs.get(key)).rejects.toMatchObject({ code: 'dependency_unavailable' });
      s3.heal();
      expect(Buffer.from((await blobs.get(key))!).toString()).toBe('through the storm');
      s3.heal();
      s3.failNext(12, 'slowdown');
      await expect(blobs.ping()).rejects.toMatchObject({ code: 'dependency_unavailable' });
    } finally {
      s3.heal();
      await cleanup();
    }
  });

  it('fails with stable codes, and leaves nothing staged, when the credentials are refused or the bucket is missing', async () => {
    // s3rver refuses an access key it does not know (it does not check V4 signatures, as S3 would).
    const refused = await openBucket(s3.client({ accessKeyId: 'NOBODY', secretAccessKey: 'wrong' }), 'any-bucket');
    const missing = await openBucket(s3.client(), 'no-such-bucket-here');
    try {
      await expect(refused.blobs.put(bytes('refused'), 100)).rejects.toMatchObject({ code: 'storage_unauthorized' });
      await expect(refused.blobs.ping()).rejects.toMatchObject({ code: 'storage_unauthorized' });
      expect((await refused.blobs.usage().catch(() => undefined))?.staging ?? { files: 0, bytes: 0 }).toEqual({
        files: 0,
        bytes: 0,
      });
      await expect(missing.blobs.put(bytes('nowhere'), 100)).rejects.toMatchObject({ code: 'storage_not_found' });
      await expect(missing.blobs.ping()).rejects.toMatchObject({ code: 'storage_not_found' });
      expect((await missing.blobs.usage().catch(() => undefined))?.staging ?? { files: 0, bytes: 0 }).toEqual({
        files: 0,
        bytes: 0,
      });
    } finally {
      await refused.cleanup();
      await missing.cleanup();
    }
  });
});
