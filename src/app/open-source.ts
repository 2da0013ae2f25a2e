import type { ObjectSource } from '../ports/object-source.js';
import type { SluiceConfig } from './config.js';
import { parseBucketUrl } from '../core/bucket-url.js';
import { createS3Client } from './create-s3-client.js';

/** The objects a source's address names, once the bucket answers (refusals with their codes). */
export async function openSource(config: Pick<SluiceConfig, 's3PathStyle'>, address: string): Promise<ObjectSource> {
  const { bucket, prefix, url } = parseBucketUrl(address);
  const client = await createS3Client(config, process.env);
  const { createS3ObjectSource } = await import('../blobs/s3-object-source.js');
  const source = createS3ObjectSource({ client, url, bucket, prefix });
  try {
    await source.ping();
    return source;
  } catch (error) {
    source.close();
    throw error;
  }
}
