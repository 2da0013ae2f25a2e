import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { glob } from 'tinyglobby';

export interface FoundFile {
  path: string;
  sizeBytes: number;
}

/**
 * Files named by the user: folders are walked (hidden entries and node_modules skipped), files taken
 * as they are, anything else treated as a glob. Sorted and without repeats, so a batch is stable.
 */
export async function expandPaths(inputs: string[], cwd: string): Promise<{ files: FoundFile[]; missing: string[] }> {
  const found = new Set<string>();
  const missing: string[] = [];
  for (const input of inputs) {
    const absolute = resolve(cwd, input);
    const info = await stat(absolute).catch(() => undefined);
    let matches: string[];
    if (info?.isDirectory()) {
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
    matches.forEach((m) => found.add(m));
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
