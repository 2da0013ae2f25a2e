import { SluiceError } from '../core/errors.js';

interface AwsError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const refusals = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'Forbidden',
  'AllAccessDisabled',
]);
/** Errors of the network or the service that another try may not meet (the SDK has retried them already). */
const passing = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'TimeoutError',
  'ThrottlingException',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

const statusOf = (error: AwsError): number | undefined => error.$metadata?.httpStatusCode;

/** A missing object (not a missing bucket, which is a configuration error). */
export function isNotFound(error: unknown): boolean {
  const e = (error ?? {}) as AwsError;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || (statusOf(e) === 404 && e.name !== 'NoSuchBucket');
}

/**
 * An object store's error as Sluice's: refused credentials or policy `storage_unauthorized`, a missing
 * bucket `storage_not_found` (both permanent: an operator must act), throttling, 5xx, timeouts and
 * resets `dependency_unavailable` (a job retries, a request answers 503). Others pass unchanged.
 */
export function asStorageError(error: unknown, bucket: string): unknown {
  if (error instanceof SluiceError || isNotFound(error)) {
    return error;
  }
  const e = (error ?? {}) as AwsError;
  const name = e.name ?? e.code ?? '';
  const detail = e.message ? `: ${e.message}` : '';
  if (name === 'CredentialsProviderError') {
    return new SluiceError(
      'storage_unauthorized',
      `No credentials for bucket ${bucket} were found (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role)`,
    );
  }
  if (refusals.has(name) || statusOf(e) === 403) {
    return new SluiceError(
      'storage_unauthorized',
      `The object store refused access to bucket ${bucket} (${name}${detail})`,
    );
  }
  if (name === 'NoSuchBucket') {
    return new SluiceError('storage_not_found', `The object store has no bucket ${bucket}`);
  }
  if (passing.has(name) || passing.has(e.code ?? '') || (statusOf(e) ?? 0) >= 500) {
    return new SluiceError('dependency_unavailable', `The object store is unavailable (${name}${detail})`);
  }
  return error;
}
