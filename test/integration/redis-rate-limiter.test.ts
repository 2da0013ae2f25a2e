import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

const run = promisify(execFile);
const client = fileURLToPath(new URL('../helpers/limiter-client.js', import.meta.url));

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.stop());

describe('rate limit shared through Redis', () => {
  it('never lets two processes together exceed N requests in any window', async () => {
    // The window is shortened from a minute so that the test takes seconds; the logic is the same.
    const windowMs = 1500;
    const perWindow = 5;
    const key = `limit-${Date.now()}`;
    const started = Date.now();
    const outputs = await Promise.all(
      [1, 2].map(() => run(process.execPath, [client, redis.url, key, String(windowMs), String(perWindow), '8'])),
    );
    const perProcess = outputs.map((o) => JSON.parse(o.stdout) as number[]);
    expect(perProcess.map((p) => p.length)).toEqual([8, 8]);
    const all = perProcess.flat().sort((a, b) => a - b);
    // Grants are stamped a moment after Redis decided them; 25 ms absorbs that, nothing more.
    let busiest = 0;
    for (const at of all) {
      busiest = Math.max(busiest, all.filter((t) => t >= at && t < at + windowMs - 25).length);
    }
    expect(busiest).toBeLessThanOrEqual(perWindow);
    // 16 requests at 5 per window need at least three full windows after the first burst.
    expect(all.at(-1)! - all[0]!).toBeGreaterThanOrEqual(3 * windowMs - 50);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
