import { createFsBlobStore } from '../blobs/fs-blob-store.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { SluiceConfig } from './config.js';
import { parseBucketUrl } from '../core/bucket-url.js';
import { createS3Client } from './create-s3-client.js';

/** The raw-file store the configuration names: a bucket (`SLUICE_BLOB_URL`) or the folder. */
export async function createBlobStore(
  config: SluiceConfig,
  env: Record<string, string | undefined>,
): Promise<BlobStore> {
  if (!config.blobUrl) {
    return createFsBlobStore(config.blobDir);
  }
  const client = await createS3Client(config, env);
  const { createS3BlobStore } = await import('../blobs/s3-blob-store.js');
  return createS3BlobStore({ client, ...parseBucketUrl(config.blobUrl), stagingDir: config.blobDir });
}
