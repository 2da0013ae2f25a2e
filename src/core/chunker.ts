import type { TextTokenIndex, Tokenizer } from './tokenizer.js';
import type { Chunk, ParsedDocument } from './types.js';

export interface ChunkerOptions {
  /** Upper bound of tokens in one chunk. @defaultValue 500 */
  maxTokens: number;
  /** Tokens of the previous chunk repeated at the start of the next one. @defaultValue 50 */
  overlapTokens: number;
  /**
   * Called every few milliseconds of work to give the event loop a turn, so that chunking a large
   * document does not stall the HTTP server or other documents sharing the thread.
   */
  yieldToEventLoop?: () => Promise<void>;
}

/**
 * A run of text that is never cut further: a section, code block, paragraph, line, sentence, word or
 * char window.
 */
interface Atom {
  start: number;
  end: number;
  tokens: number;
}

/** A range still to be cut at `separators[level]`; `tokens` when known to fit (a code block). */
interface Piece {
  start: number;
  end: number;
  level: number;
  tokens?: number;
}

// Where to cut after the format's headings, best first: after a blank line, after a line, after a
// sentence, between words.
const separators: readonly RegExp[] = [/\n[ \t]*\n\s*/g, /\n/g, /[.!?;:。！？](?=\s)\s*/g, /\s+/g];

// No token of the encodings in use spans more than 128 characters, so a longer code block than this
// many tokens' worth cannot fit, and is not counted.
const maxCharsPerToken = 128;

/** The first index of `sorted` whose key is at least `value`. */
function firstAtLeast<T>(sorted: readonly T[], value: number, key: (item: T) => number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (key(sorted[mid] as T) < value) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low;
}

interface Pauser {
  /** True once the current slice of work has run long enough to give the event loop a turn. */
  due(): boolean;
  pause(): Promise<void>;
}

/**
 * Checked synchronously on every step (no promise unless a turn is due), so the loops stay as fast
 * as synchronous code when nothing else is waiting.
 */
function createPauser(yieldToEventLoop: (() => Promise<void>) | undefined, sliceMs = 10): Pauser {
  let sliceStart = Date.now();
  return {
    due: () => yieldToEventLoop !== undefined && Date.now() - sliceStart >= sliceMs,
    async pause() {
      await yieldToEventLoop?.();
      sliceStart = Date.now();
    },
  };
}

/**
 * Splits text into chunks of at most `maxTokens`, cutting at the best boundary available and carrying
 * up to `overlapTokens` of context into the next chunk (except across a heading, where a new section
 * starts clean). A code block that fits in a chunk is never cut: a chunk that cannot take it ends before
 * it. Every chunk's text is exactly `text.slice(charStart, charEnd)`.
 */
export async function chunkText(
  parsed: ParsedDocument,
  tokenizer: Tokenizer,
  options: ChunkerOptions,
): Promise<Chunk[]> {
  const { text } = parsed;
  const atoms: Atom[] = [];
  const pauser = createPauser(options.yieldToEventLoop);
  // Every range is counted exactly as if sliced; an index shares the work of counting them.
  const counter: TextTokenIndex = tokenizer.indexText?.(text) ?? {
    countRange: (start, end) => tokenizer.count(text.slice(start, end)),
  };
  const blocks = await codeBlocksThatFit(text, parsed.codeBlocks ?? [], counter, options.maxTokens, pauser);
  // A heading inside such a block (an `<h2>` in a `<pre>`) would cut it.
  const headings = (parsed.headings ?? []).filter((at) => {
    const block = blocks[firstAtLeast(blocks, at + 1, endOf)];
    return block === undefined || block.start >= at;
  });
  // Sections first: the text is cut at every heading the format marks, then each section as before.
  let sectionStart = 0;
  for (const heading of [...headings, text.length]) {
    if (heading > sectionStart) {
      const section = { start: sectionStart, end: heading };
      await splitIntoAtoms(text, section, blocks, counter, options.maxTokens, atoms, pauser);
      sectionStart = heading;
    }
  }
  /** Whether an atom opens a section: a heading begins it, after blanks at most. */
  const startsSection = (atom: Atom): boolean => {
    const next = headings[firstAtLeast(headings, atom.start, (at) => at)];
    return next !== undefined && next < atom.end && text.slice(atom.start, next).trim() === '';
  };
  return pack(text, atoms, counter, options, { pageStarts: parsed.pageStarts, startsSection, blocks }, pauser);
}

const endOf = (atom: Atom): number => atom.end;

/**
 * The code blocks that fit in a chunk, trimmed to their visible text (a chunk's text is trimmed too,
 * so one holding just the block counts what the block does), with their counts.
 */
async function codeBlocksThatFit(
  text: string,
  ranges: readonly [number, number][],
  counter: TextTokenIndex,
  maxTokens: number,
  pauser: Pauser,
): Promise<Atom[]> {
  const blocks: Atom[] = [];
  let after = 0;
  for (const [from, to] of ranges) {
    if (pauser.due()) {
      await pauser.pause();
    }
    // Clipped to the text and to after the previous block, so the blocks stay disjoint and in order.
    const [start, end] = trimRange(text, Math.max(from, after), Math.min(to, text.length));
    if (end > start && end - start <= maxTokens * maxCharsPerToken) {
      const tokens = counter.countRange(start, end);
      if (tokens <= maxTokens) {
        blocks.push({ start, end, tokens });
      }
    }
    after = Math.max(after, end);
  }
  return blocks;
}

/**
 * Cuts the text into atoms of at most `maxTokens`: a range that fits is one atom; one that does not
 * is cut at the best separator it contains and its pieces are tried in turn (depth first, so atoms
 * come out in text order). A code block in `blocks` (each fits, and lies wholly inside one section)
 * is a piece of its own, not cut at its blank lines or lines. An explicit stack rather than recursion
 * lets the loop pause cheaply.
 */
async function splitIntoAtoms(
  text: string,
  section: { start: number; end: number },
  blocks: readonly Atom[],
  counter: TextTokenIndex,
  maxTokens: number,
  out: Atom[],
  pauser: Pauser,
): Promise<void> {
  const stack: Piece[] = [{ ...section, level: 0 }];
  for (let range = stack.pop(); range; range = stack.pop()) {
    if (pauser.due()) {
      await pauser.pause();
    }
    const { start, end, level } = range;
    if (start >= end) {
      continue;
    }
    if (range.tokens !== undefined) {
      out.push({ start, end, tokens: range.tokens });
      continue;
    }
    // Tokenising a huge run costs more than it tells (BPE is superlinear on long words); a run this long
    // cannot sensibly be one chunk, so cut it first and count the pieces.
    if (end - start <= maxTokens * 4) {
      const tokens = counter.countRange(start, end);
      if (tokens <= maxTokens) {
        out.push({ start, end, tokens });
        continue;
      }
    }
    const separator = separators[level];
    if (!separator) {
      splitHard(text, start, end, counter, maxTokens, out);
      continue;
    }
    // Only the text between blocks is scanned for separators. From the first cut on, each block is a
    // piece of its own, so below that this finds none.
    const pieces: Piece[] = [];
    let gapStart = start;
    for (let i = firstAtLeast(blocks, start + 1, endOf); ; i++) {
      const block = blocks[i];
      if (block === undefined || block.start >= end) {
        cutAtSeparator(text, { start: gapStart, end, level: level + 1 }, separator, pieces);
        break;
      }
      cutAtSeparator(text, { start: gapStart, end: block.start, level: level + 1 }, separator, pieces);
      pieces.push({ ...block, level: level + 1 });
      gapStart = block.end;
    }
    for (let i = pieces.length - 1; i >= 0; i--) {
      stack.push(pieces[i] as Piece);
    }
  }
}

/** Cuts `range` after each match of `separator` in it, into pieces of `range.level`. */
function cutAtSeparator(text: string, range: Piece, separator: RegExp, out: Piece[]): void {
  const { start, end, level } = range;
  if (start >= end) {
    return;
  }
  // The scan is synchronous, so sharing the RegExp (and its lastIndex) across documents is safe. It
  // reads the range alone: on the whole text, a search for the next match from each of many short
  // ranges (the gaps between code blocks) would run on to a match far past each one.
  const view = start === 0 && end === text.length ? text : text.slice(start, end);
  let pieceStart = start;
  separator.lastIndex = 0;
  for (let match = separator.exec(view); match; match = separator.exec(view)) {
    const cut = start + match.index + match[0].length;
    if (match[0].length === 0) {
      separator.lastIndex++;
    }
    if (cut > pieceStart && cut < end) {
      out.push({ start: pieceStart, end: cut, level });
      pieceStart = cut;
    }
  }
  out.push({ start: pieceStart, end, level });
}

/** Last resort for text with no boundary at all: windows of chars, halved until they fit. */
function splitHard(
  text: string,
  start: number,
  end: number,
  counter: TextTokenIndex,
  maxTokens: number,
  out: Atom[],
): void {
  let position = start;
  let window = maxTokens * 2;
  while (position < end) {
    let cut = safeCut(text, Math.min(end, position + window), position);
    let tokens = counter.countRange(position, cut);
    while (tokens > maxTokens && cut - position > 1) {
      window = Math.max(1, Math.floor((cut - position) / 2));
      cut = safeCut(text, position + window, position);
      tokens = counter.countRange(position, cut);
    }
    out.push({ start: position, end: cut, tokens });
    position = cut;
  }
}

/** Moves a cut off the middle of a surrogate pair, never to or before `min`. */
function safeCut(text: string, cut: number, min: number): number {
  if (cut < text.length && cut - 1 > min) {
    const code = text.charCodeAt(cut);
    if (code >= 0xdc00 && code <= 0xdfff) {
      return cut - 1;
    }
  }
  return cut;
}

async function pack(
  text: string,
  atoms: Atom[],
  counter: TextTokenIndex,
  options: ChunkerOptions,
  {
    pageStarts,
    startsSection: opensSection,
    blocks,
  }: { pageStarts: number[] | undefined; startsSection: (atom: Atom) => boolean; blocks: readonly Atom[] },
  pauser: Pauser,
): Promise<Chunk[]> {
  const { maxTokens, overlapTokens } = options;
  const chunks: Chunk[] = [];
  const pending: Atom[] = [];
  let index = 0;
  let current: Atom[] = [];
  // How many atoms at the head of `current` are overlap carried over from the previous chunk.
  let carried = 0;
  const lastStart = (): number => chunks[chunks.length - 1]?.charStart ?? -1;

  /**
   * Emits `current` as one chunk. The sum of the atoms' counts is an estimate (BPE may merge across a
   * boundary); the exact count decides, and what does not fit is handed back: first the newest atoms,
   * then the carried overlap, so that every chunk holds at least one new atom.
   */
  const emit = async (): Promise<{ emitted: Atom[]; leftover: Atom[] }> => {
    const atomsIn = [...current];
    const leftover: Atom[] = [];
    let carriedIn = carried;
    for (;;) {
      const first = atomsIn[0] as Atom;
      const last = atomsIn[atomsIn.length - 1] as Atom;
      const [charStart, charEnd] = trimRange(text, first.start, last.end);
      if (charEnd <= charStart) {
        return { emitted: atomsIn, leftover };
      }
      const tokenCount = counter.countRange(charStart, charEnd);
      if (tokenCount <= maxTokens) {
        chunks.push({
          index: chunks.length,
          text: text.slice(charStart, charEnd),
          tokenCount,
          charStart,
          charEnd,
          page: pageAt(pageStarts, charStart),
        });
        return { emitted: atomsIn, leftover };
      }
      if (atomsIn.length === 1) {
        // Trimming can cost tokens (" word" is one token, "word" may be two): cut this atom finer, with a
        // margin, and let its pieces be packed again. It is cut as the text was, so a code block in it
        // that fits stays whole.
        const pieces: Atom[] = [];
        const trimmed = { start: charStart, end: charEnd };
        await splitIntoAtoms(text, trimmed, blocks, counter, Math.max(1, maxTokens - 4), pieces, pauser);
        return { emitted: [], leftover: [...pieces, ...leftover] };
      }
      if (atomsIn.length - carriedIn > 1) {
        leftover.unshift(atomsIn.pop() as Atom);
      } else {
        atomsIn.shift();
        carriedIn--;
      }
    }
  };

  for (;;) {
    for (let atom = pending.shift() ?? atoms[index++]; atom; atom = pending.shift() ?? atoms[index++]) {
      if (pauser.due()) {
        await pauser.pause();
      }
      const startsSection = opensSection(atom);
      const sum = current.reduce((total, a) => total + a.tokens, 0);
      const full = sum + atom.tokens > maxTokens;
      if (current.length > carried && (full || (startsSection && sum >= maxTokens / 4))) {
        const { emitted, leftover } = await emit();
        pending.unshift(...leftover, atom);
        const following = pending[0] as Atom;
        current =
          startsSection && leftover.length === 0
            ? []
            : overlapTail(emitted, overlapTokens, maxTokens - following.tokens, lastStart());
        carried = current.length;
        continue;
      }
      if (current.length === carried && (full || startsSection)) {
        // Overlap never pushes a chunk over the limit, and a new section starts without it.
        current = [];
        carried = 0;
      }
      current.push(atom);
    }
    if (current.length > carried) {
      const { emitted, leftover } = await emit();
      if (leftover.length > 0) {
        pending.push(...leftover);
        current = overlapTail(emitted, overlapTokens, maxTokens - (leftover[0] as Atom).tokens, lastStart());
        carried = current.length;
        continue;
      }
    }
    return chunks;
  }
}

/**
 * The trailing atoms of a chunk that fit in the overlap budget and leave room for the next atom. Only
 * atoms starting after `after` (the last chunk's start) qualify: a small chunk made of carried overlap
 * plus one atom must not be carried whole, or the next chunk would start where it started.
 */
function overlapTail(atoms: Atom[], overlapTokens: number, room: number, after: number): Atom[] {
  const budget = Math.min(overlapTokens, room);
  const tail: Atom[] = [];
  let sum = 0;
  for (let i = atoms.length - 1; i >= 0; i--) {
    const atom = atoms[i] as Atom;
    if (sum + atom.tokens > budget || atom.start <= after) {
      break;
    }
    tail.unshift(atom);
    sum += atom.tokens;
  }
  return tail;
}

function trimRange(text: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s < e && isSpace(text.charCodeAt(s))) {
    s++;
  }
  while (e > s && isSpace(text.charCodeAt(e - 1))) {
    e--;
  }
  return [s, e];
}

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0xfeff || code === 0x3000;
}

/** 1-based page holding `offset`, by binary search over the page start offsets. */
export function pageAt(pageStarts: number[] | undefined, offset: number): number | null {
  if (!pageStarts || pageStarts.length === 0) {
    return null;
  }
  let low = 0;
  let high = pageStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((pageStarts[mid] as number) <= offset) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return low + 1;
}
