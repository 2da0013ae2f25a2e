import type { EmbedderSpec } from '../core/types.js';
import type { Embedder } from '../ports/embedder.js';

export interface HashEmbedderOptions {
  /** @defaultValue 384 */
  dimension: number;
}

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
  const lower = text.toLowerCase();
  // Words are scanned by index rather than matched and sliced: no string is allocated per word or
  // trigram, which made this the largest cost of the ingest's main thread.
  let previousStart = -1;
  let previousEnd = -1;
  let i = 0;
  while (i < lower.length) {
    if (!isWordCharAt(lower, i)) {
      i += charWidthAt(lower, i);
      continue;
    }
    const start = i;
    while (i < lower.length && isWordCharAt(lower, i)) {
      i += charWidthAt(lower, i);
    }
    add(vector, fnv1a(lower, start, i, 0x811c9dc5), 1);
    if (previousStart >= 0) {
      add(vector, fnv1a(lower, start, i, fnv1a(lower, previousStart, previousEnd, 0x01000193)), 0.5);
    }
    previousStart = start;
    previousEnd = i;
    // Character trigrams of the word with boundary marks make "index" and "indexing" neighbours.
    addTrigrams(vector, lower, start, i);
  }
  // Square roots damp repetition (a word said fifty times is not fifty times as relevant), as
  // sublinear term frequency does in BM25.
  let norm = 0;
  for (let d = 0; d < dimension; d++) {
    const value = vector[d] as number;
    const damped = value < 0 ? -Math.sqrt(-value) : Math.sqrt(value);
    vector[d] = damped;
    norm += damped * damped;
  }
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let d = 0; d < dimension; d++) {
      vector[d] = (vector[d] as number) * scale;
    }
  }
  return vector;
}

const lt = 0x3c;
const gt = 0x3e;

/** The trigrams of `<word>` (UTF-16 units, as the hash reads them), word = text[start, end). */
function addTrigrams(vector: Float32Array, text: string, start: number, end: number): void {
  const length = end - start + 2;
  const unit = (k: number): number => (k === 0 ? lt : k === length - 1 ? gt : text.charCodeAt(start + k - 1));
  for (let k = 0; k + 3 <= length; k++) {
    add(vector, finalise(step(step(step(0x9dc5811c, unit(k)), unit(k + 1)), unit(k + 2))), 0.15);
  }
}

// Whether a BMP code unit is a letter or digit (\p{L}\p{N}): 0 not yet known, 1 yes, 2 no.
const bmpClass = new Uint8Array(0x10000);
const wordChar = /^[\p{L}\p{N}]$/u;

function isWordCharAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code < 0x80) {
    return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a);
  }
  if (code >= 0xd800 && code <= 0xdbff) {
    const point = text.codePointAt(i) as number;
    return point > 0xffff && wordChar.test(String.fromCodePoint(point));
  }
  let known = bmpClass[code] as number;
  if (known === 0) {
    known = wordChar.test(String.fromCharCode(code)) ? 1 : 2;
    bmpClass[code] = known;
  }
  return known === 1;
}

/** 2 for a surrogate pair, so that a letter outside the BMP is one character of its word. */
function charWidthAt(text: string, i: number): number {
  const point = text.codePointAt(i) as number;
  return point > 0xffff ? 2 : 1;
}

/** Adds ±weight at the bucket the hash picks; the sign bit keeps collisions from only adding up. */
function add(vector: Float32Array, hash: number, weight: number): void {
  const bucket = (hash >>> 1) % vector.length;
  vector[bucket] = (vector[bucket] as number) + (hash & 1 ? weight : -weight);
}

function fnv1a(text: string, start: number, end: number, seed: number): number {
  let hash = seed >>> 0;
  for (let i = start; i < end; i++) {
    hash = step(hash, text.charCodeAt(i));
  }
  return finalise(hash);
}

function step(hash: number, unit: number): number {
  return Math.imul(hash ^ unit, 0x01000193) >>> 0;
}

/** FNV's low bits mix poorly on short strings; murmur3's finaliser spreads them over the buckets. */
function finalise(input: number): number {
  let hash = input;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
