import type { RateLimiter, RateLimits } from '../ports/rate-limiter.js';

const windowMs = 60_000;

/**
 * Sliding-window limits (requests and tokens in any 60 s, as providers count them) plus a concurrency
 * cap, shared by every worker of the process. A request counts in the window from when it starts until
 * a window after it ends: the provider counts it when it arrives, at some moment before it answers,
 * and a request counted out a window after its start could be counted in again by a provider that saw
 * it later (each of those overlaps answered 429 and paused every worker). A log of recent ends makes the
 * bound exact: no minute ever sees more than the limit, unlike a token bucket, whose burst can double
 * it. Waiters are served in arrival order, so a large request is not starved by small ones.
 */
export function createRateLimiter(limits: RateLimits, now: () => number = Date.now): RateLimiter {
  /** Requests that ended within the window, oldest end first. */
  const ended: { at: number; tokens: number }[] = [];
  let endedTokens = 0;
  let runningTokens = 0;
  let pausedUntil = 0;
  let inFlight = 0;
  const queue: { tokens: number; resolve: (release: () => void) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;

  const forgetOld = (t: number): void => {
    while (ended.length > 0 && (ended[0] as { at: number }).at <= t - windowMs) {
      endedTokens -= (ended.shift() as { tokens: number }).tokens;
    }
  };

  /**
   * Milliseconds until a request of `cost` may start: 0 now; Infinity until a running one ends (a slot
   * is taken, or only running requests hold the room it needs).
   */
  const waitFor = (cost: number, t: number): number => {
    if (pausedUntil > t) {
      return pausedUntil - t;
    }
    if (inFlight >= limits.maxConcurrent) {
      return Infinity;
    }
    let wait = 0;
    if (limits.requestsPerMinute > 0 && ended.length + inFlight >= limits.requestsPerMinute) {
      const toFree = ended.length + inFlight - limits.requestsPerMinute + 1;
      const last = ended[toFree - 1];
      if (!last) {
        return Infinity;
      }
      wait = Math.max(wait, last.at + windowMs - t);
    }
    // A request larger than the whole budget waits for an empty window, then goes alone.
    const need = Math.min(cost, limits.tokensPerMinute);
    if (limits.tokensPerMinute > 0 && endedTokens + runningTokens + need > limits.tokensPerMinute) {
      let freed = 0;
      let fits = false;
      for (const end of ended) {
        freed += end.tokens;
        if (endedTokens - freed + runningTokens + need <= limits.tokensPerMinute) {
          wait = Math.max(wait, end.at + windowMs - t);
          fits = true;
          break;
        }
      }
      if (!fits) {
        return Infinity;
      }
    }
    return Math.max(0, Math.ceil(wait));
  };

  const drain = (): void => {
    clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0) {
      const t = now();
      forgetOld(t);
      const head = queue[0] as (typeof queue)[number];
      const wait = waitFor(head.tokens, t);
      if (wait === Infinity) {
        return;
      }
      if (wait > 0) {
        timer = setTimeout(drain, wait);
        return;
      }
      queue.shift();
      runningTokens += head.tokens;
      inFlight++;
      let released = false;
      head.resolve(() => {
        if (!released) {
          released = true;
          inFlight--;
          runningTokens -= head.tokens;
          ended.push({ at: now(), tokens: head.tokens });
          endedTokens += head.tokens;
          drain();
        }
      });
    }
  };

  return {
    acquire(cost, signal) {
      return new Promise((resolve, reject) => {
        // An abort that came before the call would never fire its event: refuse now.
        if (signal?.aborted) {
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
          return;
        }
        const onAbort = (): void => {
          const index = queue.indexOf(entry);
          if (index >= 0) {
            queue.splice(index, 1);
            reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
          }
        };
        // A job's signal lives as long as the job and is given to each of its requests: the listener
        // goes once the request is granted, or a long document would leave one behind per request.
        const entry = {
          tokens: cost,
          resolve: (release: () => void) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(release);
          },
        };
        queue.push(entry);
        signal?.addEventListener('abort', onAbort, { once: true });
        drain();
      });
    },
    pauseFor(ms) {
      pausedUntil = Math.max(pausedUntil, now() + ms);
      drain();
    },
  };
}
