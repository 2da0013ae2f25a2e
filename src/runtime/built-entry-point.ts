import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The path of a compiled entry point (a worker thread's or a child process's script) that sits beside
 * the module asking for it: `file` next to `moduleUrl` when that module runs from `dist/`; when it runs
 * from the TypeScript sources under `src/` (the tests), the one `npm run build` wrote at the same place
 * under `dist/`.
 */
export function builtEntryPoint(moduleUrl: string, file: string): string {
  const beside = fileURLToPath(new URL(file, moduleUrl));
  if (existsSync(beside)) {
    return beside;
  }
  const at = beside.lastIndexOf('/src/');
  return at < 0 ? beside : `${beside.slice(0, at)}/dist/${beside.slice(at + '/src/'.length)}`;
}
