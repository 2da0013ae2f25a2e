/** Settings of exponential backoff; the delay before retry n (1-based) is base·2^(n-1), capped, with jitter. */
export interface BackoffOptions {
  /** @defaultValue 1000 */
  baseMs: number;
  /** @defaultValue 60000 */
  maxMs: number;
}

/**
 * "Full jitter" (a random delay between half and all of the exponential step) spreads retries of many
 * documents that failed together, so they do not hammer a recovering embedder in lock-step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
