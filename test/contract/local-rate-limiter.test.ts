import { vi } from 'vitest';
import { createRateLimiter } from '../../src/limits/local-rate-limiter.js';
import { describeRateLimiterContract } from './rate-limiter-contract.js';

// Its window is a minute, on the clock it is given (Date.now by default): a fake clock and fake timers
// move through windows at once.
describeRateLimiterContract(
  'local (in-process)',
  async (limits) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    return {
      limiter: createRateLimiter(limits, () => Date.now()),
      windowMs: 60_000,
      elapse: async (ms) => {
        await vi.advanceTimersByTimeAsync(ms);
      },
      close: async () => {
        vi.useRealTimers();
      },
    };
  },
  { inOrderThroughWindow: true },
);
