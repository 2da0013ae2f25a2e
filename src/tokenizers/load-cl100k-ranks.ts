import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tryConvertToString } from 'gpt-tokenizer/utfUtil';

/** A rank's bytes as gpt-tokenizer takes them: the text where they are valid UTF-8, else the bytes. */
export type RankEntry = string | number[];

/**
 * cl100k_base's merge ranks, read from the `.tiktoken` file gpt-tokenizer ships (one `base64 rank`
 * line per token) rather than from its JavaScript module of the same table. Compiling that 1.2 MB array
 * literal costs a process about 16 MB more resident memory than reading the file (34–37 MB against
 * 50–54 MB once a text is counted), and every parse process loads the table.
 */
export function loadCl100kRanks(): RankEntry[] {
  const path = createRequire(import.meta.url).resolve('gpt-tokenizer/data/cl100k_base.tiktoken');
  const ranks: RankEntry[] = [];
  for (const line of readFileSync(path, 'latin1').split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) {
      continue;
    }
    const bytes = Buffer.from(line.slice(0, space), 'base64');
    ranks[Number(line.slice(space + 1))] = tryConvertToString(bytes) ?? [...bytes];
  }
  return ranks;
}
