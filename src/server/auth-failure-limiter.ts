/**
 * Counts failed authentications per client address in fixed windows, so that guessing keys, or a
 * client stuck on a wrong one, is answered 429 instead of costing a lookup forever. Only failures
 * count: a valid key behind the same address (a shared proxy) is never locked out by them.
 */
export function createAuthFailureLimiter(options: {
  maxPerWindow: number;
  windowMs: number;
  maxTracked?: number;
  now?: () => number;
}) {
  const { maxPerWindow, windowMs, maxTracked = 10_000, now = Date.now } = options;
  const windows = new Map<string, { failures: number; resetAt: number }>();

  const forget = (at: number): void => {
    for (const [address, window] of windows) {
      if (window.resetAt <= at) {
        windows.delete(address);
      }
    }
    // Still full of live windows: the oldest go first (a Map iterates in insertion order).
    for (const address of windows.keys()) {
      if (windows.size < maxTracked) {
        break;
      }
      windows.delete(address);
    }
  };

  return {
    /** Records a failure; answers how long the address must wait before the next try, or 0. */
    fail(address: string): number {
      const at = now();
      let window = windows.get(address);
      if (!window || window.resetAt <= at) {
        if (windows.size >= maxTracked) {
          forget(at);
        }
        window = { failures: 0, resetAt: at + windowMs };
        windows.set(address, window);
      }
      window.failures++;
      return window.failures > maxPerWindow ? window.resetAt - at : 0;
    },
  };
}

export type AuthFailureLimiter = ReturnType<typeof createAuthFailureLimiter>;
