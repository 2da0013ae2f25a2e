import type { TextTokenIndex } from '../ports/tokenizer.js';

/**
 * Exact token counts of many ranges of one text at the cost of about one pass over it.
 *
 * A BPE tokenizer of the tiktoken family first cuts text into pre-tokens with a regular expression,
 * then encodes each pre-token on its own. The expression matches every character (the pieces are
 * contiguous) and where it matches next depends only on the text from where the last match ended. So
 * once a scan of a slice ends a piece at a place where the scan of the whole text also ends one, the
 * two scans agree from there on, until the slice's end is close enough to change a match: a greedy
 * run, a lookahead or `\s+$` read the character after it. Hence the count of a slice is:
 *   - the head: the slice's own pieces up to the first place both scans end a piece;
 *   - the middle: the whole text's pieces from there, summed once for all (prefix sums);
 *   - the tail: the slice's own count from a piece start safely before its end, that is before its
 *     trailing whitespace (a whitespace run is read to its end) less a margin for the one character
 *     a match reads beyond itself.
 * Where no such places are found, or the middle holds a piece too long to have been counted, the
 * slice is counted whole, as without an index.
 */
export function createPreTokenIndex(
  text: string,
  splitPattern: RegExp,
  countPiece: (piece: string) => number,
  countText: (text: string) => number,
): TextTokenIndex {
  const pattern = new RegExp(
    splitPattern.source,
    splitPattern.flags.includes('g') ? splitPattern.flags : `${splitPattern.flags}g`,
  );
  let starts = new Int32Array(1024);
  // cumulative[i]: tokens of the pieces before piece i.
  let cumulative = new Int32Array(1025);
  let count = 0;
  // Pieces too long to count up front (BPE is superlinear on long runs): a range over one is counted whole.
  const longPieces: number[] = [];
  let contiguous = true;
  let end = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index !== end) {
      contiguous = false;
      break;
    }
    if (count + 1 >= starts.length) {
      starts = grow(starts);
      cumulative = grow(cumulative);
    }
    const piece = match[0];
    starts[count] = match.index;
    let tokens = 0;
    if (piece.length > maxCountedPiece) {
      longPieces.push(count);
    } else {
      tokens = countPiece(piece);
    }
    cumulative[count + 1] = (cumulative[count] as number) + tokens;
    count++;
    end = match.index + piece.length;
  }
  if (!contiguous || end !== text.length) {
    return { countRange: (start, stop) => countText(text.slice(start, stop)) };
  }

  /** Index of the piece starting exactly at `offset`, or -1. */
  const pieceStartingAt = (offset: number): number => {
    const i = lastPieceStartingAtOrBefore(offset);
    return i >= 0 && starts[i] === offset ? i : -1;
  };
  const lastPieceStartingAtOrBefore = (offset: number): number => {
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= offset) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    return count > 0 && (starts[low] as number) <= offset ? low : -1;
  };
  /** Where the scan of `text.slice(start, stop)` is still sure to match as the whole text's does. */
  const safeLimit = (start: number, stop: number): number => {
    let trailing = stop;
    while (trailing > start && whitespace.test(text[trailing - 1] as string)) {
      trailing--;
    }
    return trailing - margin;
  };
  const hasLongPiece = (from: number, to: number): boolean => longPieces.some((i) => i >= from && i < to);

  return {
    countRange(start, stop) {
      if (stop - start <= smallRange) {
        return countText(text.slice(start, stop));
      }
      const limit = safeLimit(start, stop);
      // Head: the slice's own pieces, until one ends where a piece of the whole text starts.
      const window = text.slice(start, Math.min(stop, start + headWindow));
      const windowLimit = start + (safeLimit(start, start + window.length) - start);
      let head = 0;
      let sync = -1;
      for (const match of window.matchAll(pattern)) {
        const pieceEnd = start + match.index + match[0].length;
        if (pieceEnd > windowLimit || pieceEnd > limit) {
          break;
        }
        head += countPiece(match[0]);
        sync = pieceStartingAt(pieceEnd);
        if (sync >= 0) {
          break;
        }
      }
      const tailStart = lastPieceStartingAtOrBefore(limit);
      if (sync < 0 || tailStart < sync || hasLongPiece(sync, tailStart)) {
        return countText(text.slice(start, stop));
      }
      const middle = (cumulative[tailStart] as number) - (cumulative[sync] as number);
      return head + middle + countText(text.slice(starts[tailStart], stop));
    },
  };
}

// A match reads at most a few characters past its end (a lookahead, the end of a greedy run, a
// contraction's letters); 8 leaves room to spare.
const margin = 8;
const smallRange = 64;
const headWindow = 128;
const maxCountedPiece = 256;
const whitespace = /\s/u;

function grow(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const larger = new Int32Array(array.length * 2);
  larger.set(array);
  return larger;
}
