import { GetObjectCommand, HeadBucketCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { SluiceError } from '../core/errors.js';
import type { ObjectSource, SourceObject } from '../ports/object-source.js';
import { asStorageError, isNotFound } from './s3-errors.js';

export interface S3ObjectSourceOptions {
  client: S3Client;
  url: string;
  bucket: string;
  /** '' or a path ending in `/`. */
  prefix: string;
  /** Keys per listed page (S3 answers at most 1,000). @defaultValue 1000 */
  pageSize?: number;
}

/** A time as the listing and a read both give it, to the second (S3's listings carry no more). */
const isoSecond = (date: Date | undefined): string =>
  date ? new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString() : '';

/** Objects under a prefix of an S3-compatible bucket, listed a page at a time and read as streams. */
export function createS3ObjectSource(options: S3ObjectSourceOptions): ObjectSource {
  const { client, bucket, prefix, url } = options;
  return {
    url,
    prefix,
    nameOf: (key) => `s3://${bucket}/${key}`,
    async *pages(signal) {
      const pages = paginateListObjectsV2(
        { client, pageSize: options.pageSize ?? 1000 },
        { Bucket: bucket, Prefix: prefix },
      );
      try {
        for await (const page of pages) {
          signal?.throwIfAborted();
          const objects: SourceObject[] = [];
          for (const o of page.Contents ?? []) {
            if (o.Key && !o.Key.endsWith('/')) {
              objects.push({
                key: o.Key,
                etag: o.ETag ?? '',
                sizeBytes: o.Size ?? 0,
                lastModified: isoSecond(o.LastModified),
              });
            }
          }
          yield objects;
        }
      } catch (error) {
        throw asStorageError(error, bucket);
      }
    },
    async open(key, signal) {
      try {
        const answer = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key }),
          signal ? { abortSignal: signal } : {},
        );
        if (!answer.Body) {
          return undefined;
        }
        return {
          body: answer.Body as AsyncIterable<Uint8Array>,
          version: {
            key,
            etag: answer.ETag ?? '',
            sizeBytes: answer.ContentLength ?? 0,
            lastModified: isoSecond(answer.LastModified),
          },
        };
      } catch (error) {
        if (isNotFound(error)) {
          return undefined;
        }
        throw asStorageError(error, bucket);
      }
    },
    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        // A HEAD has no body to name what is missing: here it can only be the bucket.
        throw isNotFound(error)
          ? new SluiceError('storage_not_found', `The object store has no bucket ${bucket}`)
          : asStorageError(error, bucket);
      }
    },
    close: () => client.destroy(),
  };
}
