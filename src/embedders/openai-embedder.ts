import { setTimeout as wait } from 'node:timers/promises';
import { backoffDelay, type BackoffOptions } from '../core/backoff.js';
import { SluiceError } from '../core/errors.js';
import type { EmbedderSpec } from '../core/types.js';
import type { Embedder } from '../ports/embedder.js';
import type { Tokenizer } from '../ports/tokenizer.js';
import type { RateLimiter } from '../ports/rate-limiter.js';

export interface OpenAiEmbedderOptions {
  /** e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama). */
  baseUrl: string;
  apiKey?: string;
  model: string;
  dimension: number;
  /** Send `dimensions` in the request (models that can shorten their vectors, e.g. text-embedding-3-*). */
  sendDimensions: boolean;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Retries of one request after a transient failure, before the batch fails with `embedder_unavailable`. */
  maxRetries: number;
  backoff: BackoffOptions;
  /** Longest input the model takes, in tokens. */
  maxInputTokens: number;
  /** Most tokens and inputs in one request. */
  maxTokensPerRequest: number;
  maxInputsPerRequest: number;
  limiter: RateLimiter;
  tokenizer: Tokenizer;
}

interface EmbeddingsResponse {
  data?: { index?: number; embedding?: number[] }[];
}

/** Transient: worth the same request again after a pause. */
class Transient extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Azure OpenAI, Ollama, vLLM, TEI, LM Studio,
 * Gemini's compatible API). Requests are cut to the count and token bounds, paced by the shared rate
 * limiter, and retried on transient failures (429 honouring Retry-After, 5xx, timeouts, resets).
 */
export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const spec: EmbedderSpec = { name: 'openai', model: options.model, dimension: options.dimension };
  const url = `${options.baseUrl.replace(/\/$/, '')}/embeddings`;

  const once = async (inputs: string[], tokens: number, signal?: AbortSignal): Promise<Float32Array[]> => {
    const release = await options.limiter.acquire(tokens, signal);
    try {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
            ...options.headers,
          },
          body: JSON.stringify({
            model: options.model,
            input: inputs,
            encoding_format: 'float',
            ...(options.sendDimensions ? { dimensions: options.dimension } : {}),
          }),
          signal: signal
            ? AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)])
            : AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        if (signal?.aborted) {
          throw error;
        }
        throw new Transient(`request failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      const body = await response.text().catch((error: unknown) => {
        throw new Transient(`answer cut off: ${error instanceof Error ? error.message : String(error)}`);
      });
      if (!response.ok) {
        throw translateStatus(response, body);
      }
      return parseVectors(body, inputs.length, options.dimension);
    } finally {
      release();
    }
  };

  const request = async (inputs: string[], tokens: number, signal?: AbortSignal): Promise<Float32Array[]> => {
    let lastProblem = '';
    for (let attempt = 1; attempt <= options.maxRetries + 1; attempt++) {
      try {
        return await once(inputs, tokens, signal);
      } catch (error) {
        if (!(error instanceof Transient)) {
          throw error;
        }
        lastProblem = error.message;
        if (attempt > options.maxRetries) {
          break;
        }
        const delay = error.retryAfterMs ?? backoffDelay(attempt, options.backoff);
        if (error.retryAfterMs !== undefined) {
          // The server named the pause: everyone in this process waits it out, not just this batch.
          options.limiter.pauseFor(delay);
        } else {
          await wait(delay, undefined, signal ? { signal } : {});
        }
      }
    }
    throw new SluiceError(
      'embedder_unavailable',
      `The embedder at ${options.baseUrl} kept failing (${options.maxRetries + 1} tries): ${lastProblem}`,
    );
  };

  return {
    spec,
    async embed(texts, signal) {
      const counts = texts.map((t) => options.tokenizer.count(t));
      const longest = Math.max(0, ...counts);
      if (longest > options.maxInputTokens) {
        throw new SluiceError(
          'embedder_input_too_long',
          `A chunk has ${longest} tokens; ${options.model} takes at most ${options.maxInputTokens}. Lower SLUICE_CHUNK_TOKENS.`,
        );
      }
      const vectors: Float32Array[] = [];
      let start = 0;
      while (start < texts.length) {
        let end = start;
        let tokens = 0;
        while (
          end < texts.length &&
          end - start < options.maxInputsPerRequest &&
          (end === start || tokens + (counts[end] as number) <= options.maxTokensPerRequest)
        ) {
          tokens += counts[end] as number;
          end++;
        }
        vectors.push(...(await request(texts.slice(start, end), tokens, signal)));
        start = end;
      }
      return vectors;
    },
  };
}

/** The one place HTTP statuses become Sluice errors: 429/5xx/408 transient, 400/404/422 rejected, 401/403 unauthorised. */
function translateStatus(response: Response, body: string): Error {
  const detail = `${response.status} ${extractMessage(body)}`.trim();
  if (response.status === 429) {
    return new Transient(`rate limited: ${detail}`, retryAfterMs(response.headers) ?? undefined);
  }
  if (response.status >= 500 || response.status === 408) {
    return new Transient(`server error: ${detail}`);
  }
  if (response.status === 401 || response.status === 403) {
    return new SluiceError('embedder_unauthorized', `The embedder refused the credentials: ${detail}`);
  }
  return new SluiceError('embedder_rejected', `The embedder refused the request: ${detail}`);
}

/** `retry-after-ms` (OpenAI) or `Retry-After` in seconds or as an HTTP date. */
function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) {
    return ms;
  }
  const value = headers.get('retry-after');
  if (!value) {
    return undefined;
  }
  const seconds = Number(value);
  if (Number.isFinite(seconds)) {
    return Math.max(0, seconds * 1000);
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function extractMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string };
    return typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? body.slice(0, 200));
  } catch {
    return body.slice(0, 200);
  }
}

function parseVectors(body: string, expected: number, dimension: number): Float32Array[] {
  let parsed: EmbeddingsResponse;
  try {
    parsed = JSON.parse(body) as EmbeddingsResponse;
  } catch {
    throw new Transient('the answer is not JSON');
  }
  const data = [...(parsed.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  if (data.length !== expected) {
    throw new SluiceError('embedder_rejected', `The embedder returned ${data.length} vectors for ${expected} inputs`);
  }
  return data.map((item) => {
    const embedding = item.embedding ?? [];
    if (embedding.length !== dimension) {
      throw new SluiceError(
        'embedder_mismatch',
        `The embedder returned vectors of ${embedding.length} dimensions; the configuration says ${dimension}`,
      );
    }
    return Float32Array.from(embedding);
  });
}
