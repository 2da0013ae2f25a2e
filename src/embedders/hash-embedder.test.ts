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

  it('gives exactly the vectors of the straightforward definition, which collections pin', async () => {
    const texts = [
      'Hello, World! The quick brown fox — jumps over 13 lazy dogs.',
      'İstanbul ΣΊΣΥΦΟΣ straße Ǆemal: lower-casing that changes the length',
      'mixed 数据库 and emoji 🙂 and 𝐀𝐁𝐂 mathematical letters, 𝟙𝟚 digits',
      `lone surrogates \ud800 here \udc00 there; tabs\tand\nnewlines`,
      'a',
      '',
      'x'.repeat(5000),
    ];
    const vectors = await embedder.embed(texts);
    texts.forEach((text, i) => expect([...(vectors[i] as Float32Array)]).toEqual([...referenceEmbedding(text, 384)]));
  });
});

/** The hash embedder's definition, written the plain way (regex words, sliced trigrams). */
function referenceEmbedding(text: string, dimension: number): Float32Array {
  const fnv1a = (value: string, seed: number): number => {
    let hash = seed >>> 0;
    for (let i = 0; i < value.length; i++) {
      hash ^= value.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
    return hash >>> 0;
  };
  const vector = new Float32Array(dimension);
  const add = (hash: number, weight: number) => {
    const bucket = (hash >>> 1) % dimension;
    vector[bucket] = (vector[bucket] as number) + (hash & 1 ? weight : -weight);
  };
  let previous = '';
  for (const [word] of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    add(fnv1a(word, 0x811c9dc5), 1);
    if (previous) {
      add(fnv1a(word, fnv1a(previous, 0x01000193)), 0.5);
    }
    previous = word;
    const marked = `<${word}>`;
    for (let i = 0; i + 3 <= marked.length; i++) {
      add(fnv1a(marked.slice(i, i + 3), 0x9dc5811c), 0.15);
    }
  }
  const damped = vector.map((value) => (value < 0 ? -Math.sqrt(-value) : Math.sqrt(value)));
  const norm = Math.sqrt(damped.reduce((sum, value) => sum + value * value, 0));
  return norm > 0 ? damped.map((value) => value / norm) : damped;
}
