// One process spending a shared rate limit: acquires `count` times and prints when each was granted.
//   node test/helpers/limiter-client.js <redis-url> <key> <window-ms> <requests-per-window> <count>
import { Redis } from 'ioredis';
import { createRedisRateLimiter } from '../../dist/limits/redis-rate-limiter.js';

const [url, key, windowMs, perWindow, count] = process.argv.slice(2);
const redis = new Redis(url);
const limiter = createRedisRateLimiter({
  redis,
  key,
  windowMs: Number(windowMs),
  limits: { maxConcurrent: 2, requestsPerMinute: Number(perWindow), tokensPerMinute: 0 },
});
const granted = [];
await Promise.all(
  Array.from({ length: Number(count) }, async () => {
    const release = await limiter.acquire(1);
    granted.push(Date.now());
    setTimeout(release, 5);
  }),
);
process.stdout.write(`${JSON.stringify(granted)}\n`);
redis.disconnect();
