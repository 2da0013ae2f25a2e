/** Limits of a hosted embedding API, enforced on the client so the server seldom has to say 429. */
export interface RateLimits {
  /** Requests in flight at once. */
  maxConcurrent: number;
  /** Requests in any 60-second window; 0 for no limit. */
  requestsPerMinute: number;
  /** Input tokens in any 60-second window; 0 for no limit. */
  tokensPerMinute: number;
}

/**
 * What paces calls to a rate-limited service (a hosted embedding API): every caller of a process, or of
 * the deployment, spends one budget.
 */
export interface RateLimiter {
  /** Waits until a request of `tokens` may start; call the returned function when it ends. */
  acquire(tokens: number, signal?: AbortSignal): Promise<() => void>;
  /** The server said to slow down: nobody starts before `ms` from now. */
  pauseFor(ms: number): void;
}
