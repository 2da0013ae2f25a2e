import { retryAfterMs } from './errors.js';

export interface RetryOptions {
  /** Attempts after the first. @defaultValue 3 */
  retries?: number;
  /** First wait when the server gives no `Retry-After`, doubled each time, with jitter. @defaultValue 500 */
  baseDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the answer is returned as it is. @defaultValue 60000 */
  maxDelayMs?: number;
}

// The server turned the request away before doing anything: sending it again is safe for any method.
const retryStatuses = new Set([429, 503]);

/**
 * Sends a request again while the server answers 429 or 503, after its `Retry-After` (else a growing,
 * jittered wait). `send` must make a fresh request each call; `idempotent` requests are also sent again
 * after a network error. The last answer (or error) is the caller's.
 */
export async function withRetries(
  send: () => Promise<Response>,
  options: RetryOptions & { idempotent: boolean; signal?: AbortSignal | undefined },
): Promise<Response> {
  const retries = options.retries ?? 3;
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 60_000;
  for (let attempt = 0; ; attempt++) {
    const backoff = Math.random() * base * 2 ** attempt;
    let response: Response;
    try {
      response = await send();
    } catch (error) {
      if (attempt >= retries || !options.idempotent || options.signal?.aborted) {
        throw error;
      }
      await sleep(backoff, options.signal);
      continue;
    }
    if (!retryStatuses.has(response.status) || attempt >= retries) {
      return response;
    }
    const wait = retryAfterMs(response.headers.get('retry-after')) ?? backoff;
    if (wait > max) {
      return response;
    }
    await response.body?.cancel();
    await sleep(wait, options.signal);
  }
}

/** Waits, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}
