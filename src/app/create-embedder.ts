import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createHashEmbedder } from '../embedders/hash-embedder.js';
import { createLocalEmbedder } from '../embedders/local-embedder.js';
import { createOpenAiEmbedder } from '../embedders/openai-embedder.js';
import { createRateLimiter } from '../limits/local-rate-limiter.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import { createRedisRateLimiter } from '../limits/redis-rate-limiter.js';
import type { Embedder, Tokenizer } from '../ports/index.js';
import type { SluiceConfig } from './config.js';

/**
 * The configured embedder. Its rate limits hold for every worker of the process, and with Redis for
 * every process of the deployment (they spend one provider budget).
 */
export async function createEmbedder(config: SluiceConfig, redis: Redis | undefined): Promise<Embedder> {
  if (config.embedder === 'hash') {
    return createHashEmbedder({ dimension: config.embedDimension });
  }
  if (config.embedder === 'local') {
    return createLocalEmbedder({ modelPath: config.localModelPath as string, dimension: config.embedDimension });
  }
  return createOpenAiEmbedder({
    baseUrl: config.openaiBaseUrl,
    ...(config.openaiApiKey ? { apiKey: config.openaiApiKey } : {}),
    model: config.embedModel,
    dimension: config.embedDimension,
    sendDimensions: config.embedSendDimensions,
    headers: config.embedHeaders,
    timeoutMs: config.embedTimeoutMs,
    maxRetries: config.embedMaxRetries,
    backoff: { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs },
    maxInputTokens: config.embedMaxInputTokens,
    maxTokensPerRequest: requestTokenCap(config),
    maxInputsPerRequest: 2048,
    limiter: createLimiter(config, redis),
    tokenizer: await loadTokenizer(),
  });
}

/**
 * The most tokens one embedding request carries. Under a tokens-per-minute limit, requests are cut to a
 * twentieth of it (fewer parts when the requests-per-minute limit would not allow twenty): whole
 * requests pack the sliding window, and requests of 100 chunks (40,000 tokens or more) left a third of
 * a 100,000-token minute unused. A single chunk larger than that still goes alone.
 */
export function requestTokenCap(
  config: Pick<SluiceConfig, 'embedMaxTokensPerRequest' | 'embedTokensPerMinute' | 'embedRequestsPerMinute'>,
): number {
  if (config.embedTokensPerMinute === 0) {
    return config.embedMaxTokensPerRequest;
  }
  const parts =
    config.embedRequestsPerMinute > 0 ? Math.max(1, Math.min(20, Math.floor(config.embedRequestsPerMinute / 2))) : 20;
  return Math.min(config.embedMaxTokensPerRequest, Math.max(1, Math.floor(config.embedTokensPerMinute / parts)));
}

/**
 * Loaded where tokens are counted in this process only (the OpenAI embedder's budgets, chunking with
 * no parse processes): its rank tables take a large share of a process's memory (measured in BENCH.md).
 */
export async function loadTokenizer(): Promise<Tokenizer> {
  const { createCl100kTokenizer } = await import('../tokenizers/cl100k-tokenizer.js');
  return createCl100kTokenizer();
}

function createLimiter(config: SluiceConfig, redis: Redis | undefined): RateLimiter {
  const limits = {
    maxConcurrent: config.embedMaxConcurrent,
    requestsPerMinute: config.embedRequestsPerMinute,
    tokensPerMinute: config.embedTokensPerMinute,
  };
  if (!redis || (limits.requestsPerMinute === 0 && limits.tokensPerMinute === 0)) {
    return createRateLimiter(limits);
  }
  // One budget per endpoint and model, as providers count them.
  const endpoint = createHash('sha256')
    .update(`${config.openaiBaseUrl} ${config.embedModel}`)
    .digest('hex')
    .slice(0, 16);
  return createRedisRateLimiter({ redis, key: `${config.redisPrefix}:embed-limit:${endpoint}`, limits });
}
