import type { EmbedderSpec } from '../core/types.js';
import type { Embedder } from '../ports/embedder.js';

export interface HashEmbedderOptions {
  /** @defaultValue 384 */
  dimension: number;
}

const wordPattern = /[\p{L}\p{N}]+/gu;

/**
 * A lexical embedder that needs no model and no network: feature hashing of lower-cased words, word
 * bigrams and character trigrams into a fixed dimension, damped and L2-normalised. Similar wording gives similar
 * vectors; synonyms and meaning do not. It is deterministic, so tests and offline set-ups are
 * reproducible, and honest about being lexical: use a real model for semantic search.
 */
export function createHashEmbedder(options: HashEmbedderOptions): Embedder {
  const { dimension } = options;
  const spec: EmbedderSpec = { name: 'hash', model: 'fnv1a-words-bigrams-char3', dimension };
  return {
    spec,
    embed: (texts, signal) => {
      if (signal?.aborted) {
        return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      }
      return Promise.resolve(texts.map((text) => embedOne(text, dimension)));
    },
  };
}

function embedOne(text: string, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  let previous = '';
  for (const match of text.toLowerCase().matchAll(wordPattern)) {
    const word = match[0];
    add(vector, fnv1a(word, 0x811c9dc5), 1);
    if (previous) {
      add(vector, fnv1a(word, fnv1a(previous, 0x01000193)), 0.5);
    }
    previous = word;
    // Character trigrams of the word with boundary marks make "index" and "indexing" neighbours.
    const marked = `<${word}>`;
    for (let i = 0; i + 3 <= marked.length; i++) {
      add(vector, fnv1a(marked.slice(i, i + 3), 0x9dc5811c), 0.15);
    }
  }
  // Square roots damp repetition (a word said fifty times is not fifty times as relevant), as
  // sublinear term frequency does in BM25.
  let norm = 0;
  for (let i = 0; i < dimension; i++) {
    const value = vector[i] as number;
    const damped = value < 0 ? -Math.sqrt(-value) : Math.sqrt(value);
    vector[i] = damped;
    norm += damped * damped;
  }
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < dimension; i++) {
      vector[i] = (vector[i] as number) * scale;
    }
  }
  return vector;
}

/** Adds ±weight at the bucket the hash picks; the sign bit keeps collisions from only adding up. */
function add(vector: Float32Array, hash: number, weight: number): void {
  const bucket = (hash >>> 1) % vector.length;
  vector[bucket] = (vector[bucket] as number) + (hash & 1 ? weight : -weight);
}

function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // FNV's low bits mix poorly on short strings; murmur3's finaliser spreads them over the buckets.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
