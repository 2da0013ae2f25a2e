import { tryConvertToString } from 'gpt-tokenizer/utfUtil';
import type { RankEntry } from './load-cl100k-ranks.js';

/** The merge rank of a run of bytes, looked up in place (no string or array made per lookup). */
export interface BytePairRanks {
  /** The rank of `bytes[start..end)`, or `undefined` where those bytes are no token. */
  rankOf(bytes: Uint8Array, start: number, end: number): number | undefined;
}

/**
 * The ranks keyed by bytes, answering as gpt-tokenizer's lookup (`getBpeRankFromBytes`) does, so that
 * merges made with them end where the library's do. That lookup decodes bytes that are valid UTF-8 and
 * reads a map of the ranks kept as text (where two texts are equal, the later rank wins), else searches
 * the ranks kept as bytes; so a rank kept as bytes that are valid UTF-8 is never found. And its decoder
 * drops a leading byte order mark: bytes that are a mark and valid UTF-8 rank as the bytes after it.
 * These matter: cl100k has eight tokens that start with a mark ("\uFEFFusing", "\uFEFF\n"…), which
 * `parseCl100kRanks` keeps as the text without it ("using" then ranks 4117, not 985) and the library's
 * own table keeps as bytes. Either way the lookup here agrees.
 *
 * An open-addressing table over one buffer of all the keys, 2.5 MB for cl100k: a lookup hashes the bytes
 * where they lie.
 */
export function createBytePairRanks(entries: readonly RankEntry[]): BytePairRanks {
  // Entry i's bytes are keyBytes[keyStarts[i]..keyStarts[i + 1]); a rank that is a hole has none. One
  // buffer written in place: encoding each entry to its own array made the build much slower (BENCH.md).
  const count = entries.length;
  const keyStarts = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    const entry = entries[i];
    const length =
      entry === undefined ? 0 : typeof entry === 'string' ? Buffer.byteLength(entry, 'utf8') : entry.length;
    keyStarts[i + 1] = (keyStarts[i] as number) + length;
  }
  const keyBytes = Buffer.alloc(keyStarts[count] as number);
  for (let i = 0; i < count; i++) {
    const entry = entries[i];
    if (typeof entry === 'string') {
      keyBytes.write(entry, keyStarts[i] as number, 'utf8');
    } else if (entry !== undefined) {
      keyBytes.set(entry, keyStarts[i]);
    }
  }

  // Slots hold an entry's index + 1 (0 is empty); at most half full, so probe runs stay short.
  const mask = 2 ** Math.ceil(Math.log2(count * 2 + 1)) - 1;
  const slots = new Int32Array(mask + 1);
  const ranks = new Int32Array(count);

  /** The slot holding these bytes, or the empty slot where they would go. */
  const slotOf = (bytes: Uint8Array, start: number, end: number): number => {
    let slot = hash(bytes, start, end) & mask;
    for (;;) {
      const entry = (slots[slot] as number) - 1;
      if (entry < 0 || equal(keyBytes, keyStarts[entry] as number, keyStarts[entry + 1] as number, bytes, start, end)) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  };

  // In rank order, so that the later of two equal texts replaces the earlier, as in the library's map.
  for (let rank = 0; rank < count; rank++) {
    const entry = entries[rank];
    if (
      entry === undefined ||
      (typeof entry !== 'string' && tryConvertToString(Uint8Array.from(entry)) !== undefined)
    ) {
      continue;
    }
    const slot = slotOf(keyBytes, keyStarts[rank] as number, keyStarts[rank + 1] as number);
    const earlier = (slots[slot] as number) - 1;
    if (earlier < 0) {
      slots[slot] = rank + 1;
    }
    ranks[earlier < 0 ? rank : earlier] = rank;
  }

  return {
    rankOf(bytes, start, end) {
      const from =
        startsWithMark(bytes, start, end) && tryConvertToString(bytes.subarray(start, end)) !== undefined
          ? start + 3
          : start;
      const entry = (slots[slotOf(bytes, from, end)] as number) - 1;
      return entry < 0 ? undefined : ranks[entry];
    },
  };
}

/** FNV-1a. */
function hash(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  }
  return h >>> 0;
}

function equal(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) {
    return false;
  }
  for (let i = 0; i < aEnd - aStart; i++) {
    if (a[aStart + i] !== b[bStart + i]) {
      return false;
    }
  }
  return true;
}

function startsWithMark(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf;
}
