/**
 * The one catalogue of Sluice errors. Every failure that reaches a document, a CLI user or (later) an
 * HTTP client carries one of these stable machine codes; messages may change, codes may not.
 */
export const errorCatalogue = {
  unsupported_media_type: { httpStatus: 415, retryable: false, title: 'The file type is not supported' },
  unsupported_encoding: { httpStatus: 422, retryable: false, title: 'The text is not valid UTF-8 or UTF-16' },
  corrupt_file: { httpStatus: 422, retryable: false, title: 'The file is damaged or not what its type claims' },
  encrypted_file: { httpStatus: 422, retryable: false, title: 'The file is encrypted' },
  empty_document: { httpStatus: 422, retryable: false, title: 'The file holds no text' },
  file_too_large: { httpStatus: 413, retryable: false, title: 'The file is larger than the configured limit' },
  archive_too_large: { httpStatus: 413, retryable: false, title: 'The archive expands beyond the configured limit' },
  document_too_complex: {
    httpStatus: 422,
    retryable: false,
    title: 'The document nests deeper than the parser allows',
  },
  parse_timeout: { httpStatus: 422, retryable: false, title: 'Parsing took longer than the configured limit' },
  file_unreadable: { httpStatus: 422, retryable: false, title: 'The file could not be read' },
  blob_missing: { httpStatus: 500, retryable: false, title: 'The stored raw file is gone' },
  storage_unauthorized: {
    httpStatus: 502,
    retryable: false,
    title: 'The object store refused the credentials or the bucket policy forbids the request',
  },
  storage_not_found: { httpStatus: 502, retryable: false, title: 'The object store has no such bucket' },
  embedder_mismatch: { httpStatus: 409, retryable: false, title: 'The collection is pinned to another embedder' },
  embedder_failed: { httpStatus: 502, retryable: true, title: 'The embedder failed' },
  embedder_rate_limited: { httpStatus: 503, retryable: true, title: 'The embedder is rate limiting' },
  embedder_unavailable: { httpStatus: 503, retryable: true, title: 'The embedder kept failing after retries' },
  embedder_rejected: { httpStatus: 502, retryable: false, title: 'The embedder refused the request' },
  embedder_unauthorized: { httpStatus: 502, retryable: false, title: 'The embedder refused the credentials' },
  embedder_input_too_long: {
    httpStatus: 422,
    retryable: false,
    title: 'A chunk is longer than the embedding model accepts',
  },
  not_found: { httpStatus: 404, retryable: false, title: 'Not found' },
  unauthorized: { httpStatus: 401, retryable: false, title: 'A valid API key is required' },
  forbidden: { httpStatus: 403, retryable: false, title: 'This key may not do that' },
  rate_limited: { httpStatus: 429, retryable: true, title: 'Too many requests' },
  quota_exceeded: {
    httpStatus: 403,
    retryable: false,
    title: 'The request would take the tenant past one of its quotas',
  },
  too_many_files: { httpStatus: 413, retryable: false, title: 'Too many files in one request' },
  request_too_large: { httpStatus: 413, retryable: false, title: 'The request is larger than the configured limit' },
  invalid_part: { httpStatus: 400, retryable: false, title: 'A part of the multipart body was refused' },
  request_timeout: { httpStatus: 408, retryable: true, title: 'The request body stopped arriving' },
  client_gone: { httpStatus: 499, retryable: true, title: 'The client closed the connection before it was answered' },
  header_too_large: { httpStatus: 431, retryable: false, title: 'The request headers are too large' },
  uri_too_long: { httpStatus: 414, retryable: false, title: 'The request URI is too long' },
  bad_request: { httpStatus: 400, retryable: false, title: 'The HTTP request is malformed' },
  idempotency_key_reused: {
    httpStatus: 422,
    retryable: false,
    title: 'The Idempotency-Key was already used for a different request',
  },
  invalid_multipart: { httpStatus: 400, retryable: false, title: 'The multipart body is malformed' },
  not_ready: { httpStatus: 503, retryable: true, title: 'A part of the service is not ready' },
  dependency_unavailable: {
    httpStatus: 503,
    retryable: true,
    title: 'A service Sluice depends on (its database, Redis) is unavailable; try again shortly',
  },
  no_files: { httpStatus: 422, retryable: false, title: 'The request holds no file' },
  invalid_input: { httpStatus: 400, retryable: false, title: 'The input is invalid' },
  invalid_config: { httpStatus: 500, retryable: false, title: 'The configuration is invalid' },
  scan_running: { httpStatus: 409, retryable: true, title: 'A scan of this source is running' },
  cancelled: { httpStatus: 409, retryable: false, title: 'The job was cancelled' },
  worker_crashed: {
    httpStatus: 500,
    retryable: false,
    title: 'The worker running the document died every time it tried',
  },
  internal_error: { httpStatus: 500, retryable: true, title: 'An unexpected error' },
} as const satisfies Record<string, { httpStatus: number; retryable: boolean; title: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** Base class of every error Sluice raises on purpose. */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.httpStatus = errorCatalogue[code].httpStatus;
    this.retryable = options.retryable ?? errorCatalogue[code].retryable;
  }
}

export function isSluiceError(error: unknown): error is SluiceError {
  return error instanceof SluiceError;
}

/**
 * Turns anything thrown into a SluiceError. Unknown errors are `internal_error` and retryable: a bug
 * or a passing fault should not lose the document, and attempts are bounded.
 */
export function toSluiceError(error: unknown): SluiceError {
  if (isSluiceError(error)) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SluiceError('internal_error', message, { cause: error });
}
