import { setTimeout as pause } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RateLimiter, RateLimits } from '../ports/rate-limiter.js';
import { createRateLimiter } from './local-rate-limiter.js';

export interface RedisRateLimiterOptions {
  redis: Redis;
  /** Keys of this limit in Redis; processes that share it share the budget. */
  key: string;
  limits: RateLimits;
  /** Length of the window. @defaultValue 60000 (providers count per minute) */
  windowMs?: number;
}

/**
 * One atomic step on Redis's clock (so machines with drifting clocks still agree): forget starts older
 * than the window, then either record this start and answer 0, or answer how many ms to wait. Starts
 * are a sorted set scored by time, each member carrying its token count.
 */
const acquireScript = `
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1])
local rpm = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > t then return paused - t end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - window)
local starts = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local count = #starts / 2
local wait = 0
if rpm > 0 and count >= rpm then
  local oldest = tonumber(starts[(count - rpm) * 2 + 2])
  wait = math.max(wait, oldest + window - t)
end
if tpm > 0 then
  local need = math.min(cost, tpm)
  local used = 0
  for i = 1, #starts, 2 do
    used = used + tonumber(string.match(starts[i], ':(%d+)$'))
  end
  if used + need > tpm then
    local freed = 0
    for i = 1, #starts, 2 do
      freed = freed + tonumber(string.match(starts[i], ':(%d+)$'))
      if used - freed + need <= tpm then
        wait = math.max(wait, tonumber(starts[i + 1]) + window - t)
        break
      end
    end
  end
end
if wait > 0 then return math.ceil(wait) end
redis.call('ZADD', KEYS[1], t, ARGV[5] .. ':' .. cost)
redis.call('PEXPIRE', KEYS[1], window * 2)
return 0
`;

const pauseScript = `
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local until_ = t + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > current then redis.call('SET', KEYS[1], until_, 'PX', tonumber(ARGV[1])) end
return 0
`;

/**
 * Requests and tokens per window shared by every process on one Redis: the budget of one API key is
 * one budget, however many workers spend it. A 429's Retry-After pauses them all. The concurrency cap
 * stays per process (it bounds this process's sockets and memory).
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { redis, key, limits } = options;
  const windowMs = options.windowMs ?? 60_000;
  const local = createRateLimiter({ maxConcurrent: limits.maxConcurrent, requestsPerMinute: 0, tokensPerMinute: 0 });
  const startsKey = `${key}:starts`;
  const pausedKey = `${key}:paused`;

  return {
    async acquire(tokens, signal) {
      const release = await local.acquire(tokens, signal);
      try {
        for (;;) {
          signal?.throwIfAborted();
          const wait = Number(
            await redis.eval(
              acquireScript,
              2,
              startsKey,
              pausedKey,
              windowMs,
              limits.requestsPerMinute,
              limits.tokensPerMinute,
              tokens,
              randomUUID(),
            ),
          );
          if (wait <= 0) {
            return release;
          }
          // A little jitter, so that waiting processes do not all ask again at the same instant.
          await pause(wait + Math.floor(Math.random() * 20), undefined, signal ? { signal } : {});
        }
      } catch (error) {
        release();
        throw error;
      }
    },
    pauseFor(ms) {
      redis.eval(pauseScript, 1, pausedKey, Math.max(1, Math.ceil(ms))).catch(() => undefined);
    },
  };
}
