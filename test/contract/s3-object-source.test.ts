import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ObjectSource } from '../../src/blobs/s3-object-source.js';
import type { SourceObject } from '../../src/ports/object-source.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(() => s3.stop());

const text = async (body: AsyncIterable<Uint8Array>): Promise<string> => {
  const parts: Buffer[] = [];
  for await (const part of body) {
    parts.push(Buffer.from(part));
  }
  return Buffer.concat(parts).toString();
};

describe('S3 object source', () => {
  it('lists a prefix a page at a time, without folder markers, and reads each object with its version', async () => {
    const bucket = await s3.newBucket();
    const client = s3.client();
    for (const key of ['p/1.txt', 'p/2.txt', 'p/dir/3.txt', 'p/4.txt', 'p/5.txt', 'p/6/', 'q/7.txt']) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: key.endsWith('/') ? '' : `body of ${key}` }),
      );
    }
    const source = createS3ObjectSource({ client, url: `s3://${bucket}/p/`, bucket, prefix: 'p/', pageSize: 2 });
    const pages: SourceObject[][] = [];
    for await (const page of source.pages()) {
      pages.push(page);
    }
    // Pages of two keys in key order; the folder marker (listed beside p/dir/3.txt) is left out.
    expect(pages.map((p) => p.map((o) => o.key))).toEqual([
      ['p/1.txt', 'p/2.txt'],
      ['p/4.txt', 'p/5.txt'],
      ['p/dir/3.txt'],
    ]);
    const listed = pages.flat().find((o) => o.key === 'p/dir/3.txt') as SourceObject;
    expect(listed).toMatchObject({ sizeBytes: 'body of p/dir/3.txt'.length });
    expect(listed.etag).toMatch(/^"[0-9a-f]{32}"$/);

    const opened = await source.open('p/dir/3.txt');
    expect(opened?.version).toEqual(listed);
    expect(await text(opened?.body as AsyncIterable<Uint8Array>)).toBe('body of p/dir/3.txt');
    expect(await source.open('p/gone.txt')).toBeUndefined();
    expect(source.nameOf('p/dir/3.txt')).toBe(`s3://${bucket}/p/dir/3.txt`);
    await expect(source.ping()).resolves.toBeUndefined();
    source.close();
  });

  it('names a missing bucket storage_not_found, for ping and listing alike', async () => {
    const client = s3.client();
    const source = createS3ObjectSource({ client, url: 's3://absent-bucket/', bucket: 'absent-bucket', prefix: '' });
    await expect(source.ping()).rejects.toMatchObject({ code: 'storage_not_found' });
    await expect(
      (async () => {
        for await (const page of source.pages()) {
          void page;
        }
      })(),
    ).rejects.toMatchObject({ code: 'storage_not_found' });
    source.close();
  });
});
