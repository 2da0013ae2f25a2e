import { createFsBlobStore } from '../blobs/fs-blob-store.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { SluiceConfig } from './config.js';

/** Where `s3://bucket/prefix/` points: the prefix is '' or ends in `/`. */
export function parseBlobUrl(url: string): { bucket: string; prefix: string } {
  const { host, pathname } = new URL(url);
  const path = decodeURIComponent(pathname).replace(/^\/+/, '');
  return { bucket: host, prefix: path === '' || path.endsWith('/') ? path : `${path}/` };
}

/**
 * The raw-file store the configuration names: a bucket (`SLUICE_BLOB_URL`) or the folder. The S3
 * client takes its endpoint, region and credentials from the AWS SDK's own variables and chain; an
 * endpoint of another provider gets path-style addressing unless told otherwise, and checksums only
 * where the operation requires them (providers other than AWS reject the SDK's newer default).
 */
export async function createBlobStore(
  config: SluiceConfig,
  env: Record<string, string | undefined>,
): Promise<BlobStore> {
  if (!config.blobUrl) {
    return createFsBlobStore(config.blobDir);
  }
  // Loaded only for a bucket: the SDK is large, and most runs never need it.
  const { S3Client } = await import('@aws-sdk/client-s3');
  const { createS3BlobStore } = await import('../blobs/s3-blob-store.js');
  const otherProvider = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  const client = new S3Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: config.s3PathStyle ?? otherProvider,
    ...(env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: 5 }),
    ...(otherProvider && !env.AWS_REQUEST_CHECKSUM_CALCULATION ? { requestChecksumCalculation: 'WHEN_REQUIRED' } : {}),
    ...(otherProvider && !env.AWS_RESPONSE_CHECKSUM_VALIDATION ? { responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
  return createS3BlobStore({ client, ...parseBlobUrl(config.blobUrl), stagingDir: config.blobDir });
}
