import type { Chunk } from './types.js';

/**
 * Page chrome that markup does not name (a site's own banner, a sidebar of links in plain `<div>`s) is
 * found by repetition instead: lines that recur on a large share of a collection's HTML pages. A chunk
 * made mostly of such lines holds nothing a search should return.
 */
export const repeatedLineRule = {
  /** A line is repeated once it is on at least this share of the pages counted so far… */
  share: 0.5,
  /** …and on at least this many of them. */
  minDocuments: 5,
  /** Lines longer than this are prose, not chrome, and are not counted. */
  maxLineChars: 160,
  /** The most lines a page contributes (its first and last halves of these): chrome sits at the edges. */
  maxLinesPerPage: 120,
};

/** A short key for a line: FNV-1a over its UTF-16 units, two 32-bit halves with different seeds. */
export function lineKey(line: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ line.length;
  for (let i = 0; i < line.length; i++) {
    const unit = line.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

const linesOf = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);

/** The distinct short lines of a page's chunks that count toward repetition, from its top and bottom. */
export function countedLines(chunks: readonly Pick<Chunk, 'text'>[]): string[] {
  const distinct = [
    ...new Set(chunks.flatMap((c) => linesOf(c.text)).filter((line) => line.length <= repeatedLineRule.maxLineChars)),
  ];
  const half = repeatedLineRule.maxLinesPerPage / 2;
  return distinct.length <= 2 * half ? distinct : [...distinct.slice(0, half), ...distinct.slice(-half)];
}

/**
 * The chunks left when those made mostly (over half their lines) of repeated lines are dropped, numbered
 * again from 0; all of them when every chunk would go (a page that is all chrome is still a page).
 */
export function withoutRepeatedChunks<T extends Chunk>(chunks: readonly T[], repeated: ReadonlySet<string>): T[] {
  if (repeated.size === 0) {
    return [...chunks];
  }
  const kept = chunks.filter((chunk) => {
    const lines = linesOf(chunk.text);
    return lines.filter((line) => repeated.has(lineKey(line))).length * 2 <= lines.length;
  });
  if (kept.length === 0 || kept.length === chunks.length) {
    return kept.length === 0 ? [...chunks] : kept;
  }
  return kept.map((chunk, index) => ({ ...chunk, index }));
}
