import { describe, expect, it } from 'vitest';
import { requestTokenCap } from './create-embedder.js';

describe('the tokens one embedding request carries', () => {
  it('is a twentieth of a tokens-per-minute limit, so that requests pack the window; the configured cap without one', () => {
    const base = { embedMaxTokensPerRequest: 300_000, embedRequestsPerMinute: 0 };
    expect(requestTokenCap({ ...base, embedTokensPerMinute: 0 })).toBe(300_000);
    expect(requestTokenCap({ ...base, embedTokensPerMinute: 100_000 })).toBe(5_000);
    // Never above the configured cap, and fewer parts when few requests a minute are allowed.
    expect(requestTokenCap({ ...base, embedMaxTokensPerRequest: 2_000, embedTokensPerMinute: 100_000 })).toBe(2_000);
    expect(requestTokenCap({ ...base, embedTokensPerMinute: 100_000, embedRequestsPerMinute: 10 })).toBe(20_000);
    expect(requestTokenCap({ ...base, embedTokensPerMinute: 100_000, embedRequestsPerMinute: 1 })).toBe(100_000);
  });
});
