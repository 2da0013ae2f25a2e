import { stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';
import { keyFilter } from './key-patterns.js';

export interface FoundFile {
  path: string;
  /** Below the folder it was found in (for a file or glob, the working folder), with `/` between folders. */
  relativePath: string;
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
  const found = new Map<string, string>();
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
    for (const match of matches) {
      const below = relative(root, match).split(sep).join('/');
      if (wanted(below) && !found.has(match)) {
        found.set(match, below);
      }
    }
  }
  const files: FoundFile[] = [];
  for (const [path, relativePath] of [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) {
      files.push({ path, relativePath, sizeBytes: info.size });
    }
  }
  return { files, missing };
}
