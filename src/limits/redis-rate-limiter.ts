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
  /**
   * How long a running request counts at most before it is given up (its process died before ending
   * it). @defaultValue two windows
   */
  holdMs?: number;
}

/**
 * How soon a request that only running ones hold back asks again: a sixtieth of the window (a second a
 * minute). Their ends do not free room (they count a window more), so asking sooner gains nothing.
 */
const heldBackPoll = (windowMs: number): number => Math.max(10, Math.min(1000, windowMs / 60));

/**
 * One atomic step on Redis's clock (so machines with drifting clocks still agree): forget requests that
 * ended a window ago (KEYS[1], scored by their end) and running ones past their hold (KEYS[3], scored by
 * when they are given up: a process that died never ends its own), then either record this request as
 * running and answer 0, answer how many ms to wait, or -1 when only running requests hold the room it
 * needs. Each member carries its token count.
 */
const acquireScript = `
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1])
local rpm = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local hold = tonumber(ARGV[6])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > t then return paused - t end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - window)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', t)
local ended = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local running = redis.call('ZRANGE', KEYS[3], 0, -1)
local endedCount = #ended / 2
local wait = 0
if rpm > 0 and endedCount + #running >= rpm then
  local toFree = endedCount + #running - rpm + 1
  if toFree > endedCount then return -1 end
  wait = math.max(wait, tonumber(ended[toFree * 2]) + window - t)
end
if tpm > 0 then
  local need = math.min(cost, tpm)
  local used = 0
  for i = 1, #ended, 2 do
    used = used + tonumber(string.match(ended[i], ':(%d+)$'))
  end
  for i = 1, #running do
    used = used + tonumber(string.match(running[i], ':(%d+)$'))
  end
  if used + need > tpm then
    local freed = 0
    local fits = false
    for i = 1, #ended, 2 do
      freed = freed + tonumber(string.match(ended[i], ':(%d+)$'))
      if used - freed + need <= tpm then
        wait = math.max(wait, tonumber(ended[i + 1]) + window - t)
        fits = true
        break
      end
    end
    if not fits then return -1 end
  end
end
if wait > 0 then return math.ceil(wait) end
redis.call('ZADD', KEYS[3], t + hold, ARGV[5] .. ':' .. cost)
redis.call('PEXPIRE', KEYS[3], hold + window)
return 0
`;

/** A running request ends: it counts in the window, from now, for a window more. */
const releaseScript = `
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[1], t, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
end
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
 * one budget, however many workers spend it. As in the local limiter, a request counts from its start
 * until a window after its end. A 429's Retry-After pauses them all. The concurrency cap stays per
 * process (it bounds this process's sockets and memory).
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { redis, key, limits } = options;
  const windowMs = options.windowMs ?? 60_000;
  const local = createRateLimiter({ maxConcurrent: limits.maxConcurrent, requestsPerMinute: 0, tokensPerMinute: 0 });
  const holdMs = options.holdMs ?? 2 * windowMs;
  const endedKey = `${key}:ended`;
  const runningKey = `${key}:running`;
  const pausedKey = `${key}:paused`;

  return {
    async acquire(tokens, signal) {
      const release = await local.acquire(tokens, signal);
      try {
        for (;;) {
          signal?.throwIfAborted();
          const id = randomUUID();
          const wait = Number(
            await redis.eval(
              acquireScript,
              3,
              endedKey,
              pausedKey,
              runningKey,
              windowMs,
              limits.requestsPerMinute,
              limits.tokensPerMinute,
              tokens,
              id,
              holdMs,
            ),
          );
          if (wait === 0) {
            let ended = false;
            return () => {
              if (!ended) {
                ended = true;
                release();
                redis.eval(releaseScript, 2, endedKey, runningKey, `${id}:${tokens}`, windowMs).catch(() => undefined);
              }
            };
          }
          // A little jitter, so that waiting processes do not all ask again at the same instant.
          const ms = wait < 0 ? heldBackPoll(windowMs) : wait;
          await pause(ms + Math.floor(Math.random() * 20), undefined, signal ? { signal } : {});
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
