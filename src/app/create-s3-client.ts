import type { S3Client } from '@aws-sdk/client-s3';
import type { SluiceConfig } from './config.js';

/**
 * An S3 client configured by the AWS SDK's own variables and credential chain. An endpoint of another
 * provider gets path-style addressing unless told otherwise, and checksums only where the operation
 * requires them (providers other than AWS reject the SDK's newer default). The SDK is loaded only
 * here: it is large, and most runs never need it.
 */
export async function createS3Client(
  config: Pick<SluiceConfig, 's3PathStyle'>,
  env: Record<string, string | undefined>,
): Promise<S3Client> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  const otherProvider = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  return new S3Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: config.s3PathStyle ?? otherProvider,
    ...(env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: 5 }),
    ...(otherProvider && !env.AWS_REQUEST_CHECKSUM_CALCULATION ? { requestChecksumCalculation: 'WHEN_REQUIRED' } : {}),
    ...(otherProvider && !env.AWS_RESPONSE_CHECKSUM_VALIDATION ? { responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
}
