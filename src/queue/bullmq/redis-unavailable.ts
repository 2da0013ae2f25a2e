import { SluiceError } from '../../core/errors.js';

/** What ioredis says when Redis cannot be reached or did not answer in time. */
const unavailable =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection is closed|Command timed out|max retries per request|Stream isn't writeable/i;

/** Rethrows a Redis that is away as `dependency_unavailable` (transient: 503 with Retry-After), anything else as it is. */
export function rethrowUnavailable(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof SluiceError) && unavailable.test(`${message} ${(error as { code?: string }).code ?? ''}`)) {
    throw new SluiceError('dependency_unavailable', `Redis is unavailable: ${message}`, { cause: error });
  }
  throw error;
}
