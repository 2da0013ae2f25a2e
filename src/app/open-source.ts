import { SluiceError } from '../core/errors.js';
import type { ObjectSource } from '../ports/object-source.js';
import type { SluiceConfig } from './config.js';
import { createS3Client, parseBucketUrl } from './create-s3-client.js';

/** The objects a source's address names, once the bucket answers (refusals with their codes). */
export async function openSource(config: Pick<SluiceConfig, 's3PathStyle'>, url: string): Promise<ObjectSource> {
  let bucket: string;
  let prefix: string;
  try {
    if (!url.startsWith('s3://')) {
      throw new Error('not s3');
    }
    ({ bucket, prefix } = parseBucketUrl(url));
  } catch {
    throw new SluiceError('invalid_input', `A source is an s3://bucket/prefix/ address, not ${url.slice(0, 200)}`);
  }
  if (bucket === '') {
    throw new SluiceError('invalid_input', 'A source address names its bucket: s3://bucket/prefix/');
  }
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
