import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tryConvertToString } from 'gpt-tokenizer/utfUtil';

/** A rank's bytes as gpt-tokenizer takes them: the text where they are valid UTF-8, else the bytes. */
export type RankEntry = string | number[];

/**
 * The ranks as JSON, written beside the built module by `npm run build` (`writeCl100kRanks`). Every
 * parse process loads the table on the way to its first file's chunks, and JSON parses faster than the
 * `.tiktoken` file's base64 lines decode, so a new process answers its first file sooner (BENCH.md).
 */
const ranksFile = new URL('./cl100k-ranks.json', import.meta.url);

/**
 * cl100k_base's merge ranks, read from the `.tiktoken` file gpt-tokenizer ships (one `base64 rank`
 * line per token) rather than from its JavaScript module of the same table. Compiling that 1.2 MB array
 * literal costs a process more resident memory than reading the file (measured in BENCH.md), and every
 * parse process loads the table.
 */
export function parseCl100kRanks(): RankEntry[] {
  const path = createRequire(import.meta.url).resolve('gpt-tokenizer/data/cl100k_base.tiktoken');
  const ranks: RankEntry[] = [];
  for (const line of readFileSync(path, 'latin1').split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) {
      continue;
    }
    const bytes = Buffer.from(line.slice(0, space), 'base64');
    // A decoder drops a leading byte-order mark: such a text would collide with another token's
    // ("\n" ranked as the mark and "\n"), so it stays as bytes, as in gpt-tokenizer's own table.
    const text = tryConvertToString(bytes);
    ranks[Number(line.slice(space + 1))] =
      text !== undefined && Buffer.byteLength(text) === bytes.length ? text : [...bytes];
  }
  return ranks;
}

/** The ranks from the built JSON where there is one (a build), else from the `.tiktoken` file (the sources). */
export function loadCl100kRanks(): RankEntry[] {
  return existsSync(ranksFile) ? (JSON.parse(readFileSync(ranksFile, 'utf8')) as RankEntry[]) : parseCl100kRanks();
}

/** Writes the JSON that `loadCl100kRanks` prefers, beside this module; the build runs it on the built one. */
export function writeCl100kRanks(): void {
  writeFileSync(ranksFile, JSON.stringify(parseCl100kRanks()));
}
