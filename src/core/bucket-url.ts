import { SluiceError } from './errors.js';

/** A bucket name as S3 allows one: 3 to 63 lowercase letters, digits, dots and hyphens. */
const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * What `s3://bucket/prefix/` names, read as S3 reads keys rather than as a web address: `#`, `?` and
 * `..` are characters of the prefix, `%XX` escapes are decoded, and the prefix is '' or ends in `/`.
 * `url` is the address spelled one way only, which names the source.
 */
export function parseBucketUrl(address: string): { bucket: string; prefix: string; url: string } {
  const match = /^s3:\/\/([^/]*)(?:\/([\s\S]*))?$/.exec(address);
  const bucket = match?.[1] ?? '';
  if (!match || !bucketName.test(bucket)) {
    throw new SluiceError(
      'invalid_input',
      `Not an s3://bucket/prefix/ address with a valid bucket name: ${address.slice(0, 200)}`,
    );
  }
  let path: string;
  try {
    path = decodeURIComponent(match[2] ?? '').replace(/^\/+/, '');
  } catch {
    throw new SluiceError('invalid_input', `The address has a broken %-escape: ${address.slice(0, 200)}`);
  }
  const prefix = path === '' || path.endsWith('/') ? path : `${path}/`;
  return { bucket, prefix, url: `s3://${bucket}/${prefix}` };
}
