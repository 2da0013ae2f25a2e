import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCachingEmbedder } from '../../src/embedders/caching-embedder.js';
import { createHashEmbedder } from '../../src/embedders/hash-embedder.js';
import { createLocalEmbedder } from '../../src/embedders/local-embedder.js';
import { createOpenAiEmbedder } from '../../src/embedders/openai-embedder.js';
import { createRateLimiter } from '../../src/limits/local-rate-limiter.js';
import type { Embedder } from '../../src/ports/embedder.js';
import type { Store } from '../../src/ports/store.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { createCl100kTokenizer } from '../../src/tokenizers/cl100k-tokenizer.js';
import { startFakeEmbeddingsServer } from '../helpers/fake-embeddings-server.js';
import { writeTinyModel, type TinyModel } from '../helpers/tiny-onnx-model.js';
import { describeEmbedderContract } from './embedder-contract.js';

const hashOf = (dimension: number) => {
  const reference = createHashEmbedder({ dimension });
  return async (text: string) => (await reference.embed([text]))[0] as Float32Array;
};

const openStore = (): Store =>
  createSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'sluice-embed-')), 'sluice.db'), textSearchThread: false });

describeEmbedderContract('hash', async () => ({
  embedder: createHashEmbedder({ dimension: 64 }),
  spec: { name: 'hash', model: 'fnv1a-words-bigrams-char3', dimension: 64 },
  expected: hashOf(64),
  promises: { normalised: true, deterministic: true },
  close: async () => undefined,
}));

// A hosted model may answer the same text slightly differently from one call to the next, and need not
// normalise: the adapter promises neither. The fake server answers the hash embedder's vectors.
describeEmbedderContract('openai-compatible (local fake server)', async () => {
  const fake = await startFakeEmbeddingsServer(16);
  const embedder = createOpenAiEmbedder({
    baseUrl: fake.url,
    apiKey: 'sk-test',
    model: 'fake-embed',
    dimension: 16,
    sendDimensions: false,
    headers: {},
    timeoutMs: 5000,
    maxRetries: 1,
    backoff: { baseMs: 5, maxMs: 20 },
    maxInputTokens: 8192,
    maxTokensPerRequest: 10_000,
    // Small, so that 37 texts take several requests, each answered in reverse order by the fake.
    maxInputsPerRequest: 4,
    limiter: createRateLimiter({ maxConcurrent: 2, requestsPerMinute: 0, tokensPerMinute: 0 }),
    tokenizer: createCl100kTokenizer(),
  });
  return {
    embedder,
    spec: { name: 'openai', model: 'fake-embed', dimension: 16 },
    expected: hashOf(16),
    promises: { normalised: false, deterministic: false },
    close: () => fake.close(),
  };
});

describeEmbedderContract('caching (over hash, with a SQLite store)', async () => {
  const store = openStore();
  return {
    embedder: createCachingEmbedder(createHashEmbedder({ dimension: 32 }), store),
    spec: { name: 'hash', model: 'fnv1a-words-bigrams-char3', dimension: 32 },
    expected: hashOf(32),
    promises: { normalised: true, deterministic: true },
    close: () => store.close(),
  };
});

const words = ['river', 'sluice', 'gate', 'water', 'flow', 'index', 'vector', 'chunk'];

/** What the tiny model must give: the mean of its tokens' embedding rows, L2-normalised. */
function tinyModelVector(model: TinyModel, text: string): Float32Array {
  const ids = text
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => Math.max(1, model.vocabulary.indexOf(w)));
  const mean = Array.from(
    { length: model.hidden },
    (_, d) => ids.reduce((sum, id) => sum + (model.weights[id * model.hidden + d] as number), 0) / ids.length,
  );
  const norm = Math.hypot(...mean);
  return Float32Array.from(mean.map((v) => v / norm));
}

// The local ONNX embedder loads a tiny model of a few words written for the test: about a second.
describeEmbedderContract('local (ONNX, tiny model)', async () => {
  const model = writeTinyModel(mkdtempSync(join(tmpdir(), 'sluice-model-')), 'tiny-model', words);
  return {
    embedder: createLocalEmbedder({ modelPath: model.folder, dimension: 8, runBatchSize: 4 }),
    spec: { name: 'local', model: 'tiny-model', dimension: 8 },
    expected: (text) => tinyModelVector(model, text),
    promises: { normalised: true, deterministic: true },
    close: async () => undefined,
  };
});

describe('caching embedder', () => {
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('asks the embedder only for texts it has not seen for that model and dimension, each once', async () => {
    const store = openStore();
    stores.push(store);
    const asked: string[][] = [];
    const counting = (dimension: number): Embedder => {
      const inner = createHashEmbedder({ dimension });
      return {
        spec: inner.spec,
        embed: (texts, signal) => {
          asked.push(texts);
          return inner.embed(texts, signal);
        },
      };
    };
    const cached = createCachingEmbedder(counting(32), store);
    const first = await cached.embed(['river', 'gate', 'river']);
    expect(asked).toEqual([['river', 'gate']]);
    const second = await cached.embed(['gate', 'water', 'river']);
    expect(asked).toEqual([['river', 'gate'], ['water']]);
    expect(second[0]).toEqual(first[1]);
    expect(second[2]).toEqual(first[0]);
    expect(await cached.embed(['river', 'gate', 'water'])).toEqual([first[0], first[1], second[1]]);
    expect(asked).toHaveLength(2);
    // Another dimension of the same model is another cache.
    await createCachingEmbedder(counting(16), store).embed(['river']);
    expect(asked.at(-1)).toEqual(['river']);
  });
});
