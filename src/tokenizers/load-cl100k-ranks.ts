import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tryConvertToString } from 'gpt-tokenizer/utfUtil';

/** A rank's bytes as gpt-tokenizer takes them: the text where they are valid UTF-8, else the bytes. */
export type RankEntry = string | number[];

/**
 * The ranks as JSON, written beside the built module by `npm run build` (`writeCl100kRanks`). Every
 * parse process loads the table when it first chunks, on the way to its first file's chunks: parsed from
 * JSON it took 45–56 ms, against 146–162 ms decoding the `.tiktoken` file's 100,256 base64 lines, and
 * a new parse process answered its first file (7 kB of text) in 382–391 ms instead of 418–463.
 */
const ranksFile = new URL('./cl100k-ranks.json', import.meta.url);

/**
 * cl100k_base's merge ranks, read from the `.tiktoken` file gpt-tokenizer ships (one `base64 rank`
 * line per token) rather than from its JavaScript module of the same table. Compiling that 1.2 MB array
 * literal costs a process about 16 MB more resident memory than reading the file (34–37 MB against
 * 50–54 MB once a text is counted), and every parse process loads the table.
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
    ranks[Number(line.slice(space + 1))] = text !== undefined && Buffer.byteLength(text) === bytes.length ? text : [...bytes];
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
