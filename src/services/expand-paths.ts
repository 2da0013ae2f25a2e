import { stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';
import { keyFilter } from './key-patterns.js';

export interface FoundFile {
  path: string;
  sizeBytes: number;
}

/**
 * Files named by the user: folders are walked (hidden entries and node_modules skipped), files taken
 * as they are, anything else treated as a glob. Sorted and without repeats, so a batch is stable.
 * `include` and `exclude` patterns (see `keyFilter`) apply to paths relative to the folder walked, or
 * to the working folder for files and globs.
 */
export async function expandPaths(
  inputs: string[],
  cwd: string,
  patterns: { include?: readonly string[]; exclude?: readonly string[] } = {},
): Promise<{ files: FoundFile[]; missing: string[] }> {
  const wanted = keyFilter(patterns.include ?? [], patterns.exclude ?? []);
  const found = new Set<string>();
  const missing: string[] = [];
  for (const input of inputs) {
    const absolute = resolve(cwd, input);
    const info = await stat(absolute).catch(() => undefined);
    let matches: string[];
    let root = cwd;
    if (info?.isDirectory()) {
      root = absolute;
      matches = await glob('**/*', {
        cwd: absolute,
        absolute: true,
        onlyFiles: true,
        dot: false,
        ignore: ['**/node_modules/**'],
      });
    } else if (info?.isFile()) {
      matches = [absolute];
    } else {
      matches = await glob(input, { cwd, absolute: true, onlyFiles: true, dot: false });
    }
    if (matches.length === 0) {
      missing.push(input);
    }
    matches.filter((m) => wanted(relative(root, m).split(sep).join('/'))).forEach((m) => found.add(m));
  }
  const files: FoundFile[] = [];
  for (const path of [...found].sort()) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) {
      files.push({ path, sizeBytes: info.size });
    }
  }
  return { files, missing };
}
