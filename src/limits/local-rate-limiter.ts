import type { RateLimiter, RateLimits } from '../ports/rate-limiter.js';

const windowMs = 60_000;

/**
 * Sliding-window limits (requests and tokens in any 60 s, as providers count them) plus a concurrency
 * cap, shared by every worker of the process. A log of recent starts makes the bound exact: no minute
 * ever sees more than the limit, unlike a token bucket, whose burst can double it. Waiters are served
 * in arrival order, so a large request is not starved by small ones.
 */
export function createRateLimiter(limits: RateLimits, now: () => number = Date.now): RateLimiter {
  const starts: { at: number; tokens: number }[] = [];
  let tokensInWindow = 0;
  let pausedUntil = 0;
  let inFlight = 0;
  const queue: { tokens: number; resolve: (release: () => void) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;

  const forgetOld = (t: number): void => {
    while (starts.length > 0 && (starts[0] as { at: number }).at <= t - windowMs) {
      tokensInWindow -= (starts.shift() as { tokens: number }).tokens;
    }
  };

  /** Milliseconds until a request of `cost` may start: 0 now, Infinity until a running one ends. */
  const waitFor = (cost: number, t: number): number => {
    if (pausedUntil > t) {
      return pausedUntil - t;
    }
    if (inFlight >= limits.maxConcurrent) {
      return Infinity;
    }
    let wait = 0;
    if (limits.requestsPerMinute > 0 && starts.length >= limits.requestsPerMinute) {
      const oldest = starts[starts.length - limits.requestsPerMinute] as { at: number };
      wait = Math.max(wait, oldest.at + windowMs - t);
    }
    // A request larger than the whole budget waits for an empty window, then goes alone.
    const need = Math.min(cost, limits.tokensPerMinute);
    if (limits.tokensPerMinute > 0 && tokensInWindow + need > limits.tokensPerMinute) {
      let freed = 0;
      for (const start of starts) {
        freed += start.tokens;
        if (tokensInWindow - freed + need <= limits.tokensPerMinute) {
          wait = Math.max(wait, start.at + windowMs - t);
          break;
        }
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
      starts.push({ at: t, tokens: head.tokens });
      tokensInWindow += head.tokens;
      inFlight++;
      let released = false;
      head.resolve(() => {
        if (!released) {
          released = true;
          inFlight--;
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
        const entry = { tokens: cost, resolve };
        queue.push(entry);
        signal?.addEventListener(
          'abort',
          () => {
            const index = queue.indexOf(entry);
            if (index >= 0) {
              queue.splice(index, 1);
              reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
            }
          },
          { once: true },
        );
        drain();
      });
    },
    pauseFor(ms) {
      pausedUntil = Math.max(pausedUntil, now() + ms);
      drain();
    },
  };
}
