import { describe, expect, it } from 'vitest';
import { createHashEmbedder } from './hash-embedder.js';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);

describe('hash embedder', () => {
  const embedder = createHashEmbedder({ dimension: 384 });

  it('is deterministic and L2-normalised', async () => {
    const [a, b] = await embedder.embed(['The same text.', 'The same text.']);
    expect(a).toHaveLength(384);
    expect([...a!]).toEqual([...b!]);
    expect(cosine(a!, a!)).toBeCloseTo(1, 5);
  });

  it('puts texts sharing words closer than unrelated texts', async () => {
    const [query, related, unrelated] = await embedder.embed([
      'how do I install packages',
      'To install packages with pip, run pip install and the package name.',
      'The weather was mild and the birds sang in the garden.',
    ]);
    expect(cosine(query!, related!)).toBeGreaterThan(cosine(query!, unrelated!) + 0.2);
  });

  it('gives a zero vector for text without words, and honours abort', async () => {
    const [empty] = await embedder.embed(['  ...  ']);
    expect([...empty!].every((x) => x === 0)).toBe(true);
    await expect(embedder.embed(['x'], AbortSignal.abort())).rejects.toThrow();
  });
});
