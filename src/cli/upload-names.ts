import { dirname, relative, sep } from 'node:path';

/**
 * The names files are uploaded under by `sluice ingest --server`: each path relative to the deepest
 * folder holding all of them, with `/` between folders. The server keeps a document's name as its
 * source, and a source seen again is a new version of that document: sent by their base names, the
 * four `index.rst.txt` of the Python docs' folders were one document, the last of them.
 * A flat folder, or a single file, keeps plain file names.
 */
export function uploadNames(paths: readonly string[]): string[] {
  if (paths.length === 0) {
    return [];
  }
  const folders = paths.map((path) => dirname(path).split(sep));
  let common = folders[0] as string[];
  for (const folder of folders.slice(1)) {
    let same = 0;
    while (same < common.length && same < folder.length && common[same] === folder[same]) {
      same++;
    }
    common = common.slice(0, same);
  }
  const root = common.join(sep) || sep;
  return paths.map((path) => relative(root, path).split(sep).join('/'));
}
