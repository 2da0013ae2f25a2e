import type { BytePairRanks } from './byte-pair-ranks.js';

/** How many tokens byte-pair merging makes of `bytes`. */
export function countBytePairTokens(bytes: Uint8Array, ranks: BytePairRanks): number {
  return mergeBytePairs(bytes, ranks).count;
}

/** The tokens byte-pair merging makes of `bytes`, in order. */
export function encodeBytePairs(bytes: Uint8Array, ranks: BytePairRanks): number[] {
  const { next } = mergeBytePairs(bytes, ranks);
  const tokens: number[] = [];
  for (let start = 0; start < bytes.length; start = next[start] as number) {
    const rank = ranks.rankOf(bytes, start, next[start] as number);
    if (rank === undefined) {
      throw new Error(`No rank for the bytes at ${start}: every single byte should have one.`);
    }
    tokens.push(rank);
  }
  return tokens;
}

/**
 * Byte-pair merging as tiktoken's `byte_pair_merge` and gpt-tokenizer's `bytePairMerge` define it:
 * while two adjacent parts join into bytes that have a rank, join the pair of lowest rank, the leftmost
 * of equals. Those scan every pair for each join, O(n²) in the length of the piece; here the parts are
 * a linked list and the pairs a min-heap, O(n log n).
 *
 * A part is named by the offset of its first byte. The heap holds `rank * 2^32 + offset`, so the
 * lowest key is the lowest rank and, among equals, the leftmost pair. A join changes the pairs on
 * either side; instead of finding their old keys in the heap, new keys are added and an old one is
 * skipped when popped, as its rank is no longer the pair's (one whose rank is the pair's again is the
 * same key as the pair's own, and stands for the same join).
 *
 * @returns `next[start]`: the offset after the part starting at `start` (for parts still standing),
 *   and the number of parts.
 */
export function mergeBytePairs(bytes: Uint8Array, ranks: BytePairRanks): { next: Int32Array; count: number } {
  const length = bytes.length;
  const next = new Int32Array(length + 1);
  const previous = new Int32Array(length + 1);
  // pairRank[start]: the rank of the part at `start` joined with the one after it; none where the
  // pair has no rank, the part is the last, or it was joined into the part before it.
  const pairRank = new Int32Array(length + 1).fill(none);
  const heap = createKeyHeap(length);

  const rankPair = (start: number): void => {
    const after = next[start] as number;
    const rank = after < length ? ranks.rankOf(bytes, start, next[after] as number) : undefined;
    pairRank[start] = rank ?? none;
    if (rank !== undefined) {
      heap.push(rank * offsets + start);
    }
  };

  for (let start = 0; start < length; start++) {
    next[start] = start + 1;
    previous[start] = start - 1;
  }
  for (let start = 0; start < length - 1; start++) {
    rankPair(start);
  }

  let count = length;
  while (heap.size > 0) {
    const key = heap.pop();
    const rank = Math.floor(key / offsets);
    const start = key - rank * offsets;
    if (pairRank[start] !== rank) {
      continue;
    }
    const joined = next[start] as number;
    const after = next[joined] as number;
    next[start] = after;
    previous[after] = start;
    pairRank[joined] = none;
    count--;
    rankPair(start);
    if (start > 0) {
      rankPair(previous[start] as number);
    }
  }
  return { next, count };
}

const none = -1;
/** Offsets in a key: a piece shorter than 4 GiB, and ranks under 2^21 keep keys exact in a double. */
const offsets = 2 ** 32;

interface KeyHeap {
  readonly size: number;
  push(key: number): void;
  /** The lowest key, removed. Only while `size > 0`. */
  pop(): number;
}

/** A binary min-heap of numbers in a typed array that grows as needed. */
function createKeyHeap(capacity: number): KeyHeap {
  let keys = new Float64Array(Math.max(16, capacity));
  let size = 0;
  return {
    get size() {
      return size;
    },
    push(key) {
      if (size === keys.length) {
        const larger = new Float64Array(keys.length * 2);
        larger.set(keys);
        keys = larger;
      }
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const parentKey = keys[parent] as number;
        if (parentKey <= key) {
          break;
        }
        keys[i] = parentKey;
        i = parent;
      }
      keys[i] = key;
    },
    pop() {
      const top = keys[0] as number;
      const last = keys[--size] as number;
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= size) {
          break;
        }
        if (child + 1 < size && (keys[child + 1] as number) < (keys[child] as number)) {
          child++;
        }
        if ((keys[child] as number) >= last) {
          break;
        }
        keys[i] = keys[child] as number;
        i = child;
      }
      keys[i] = last;
      return top;
    },
  };
}
