import picomatch from 'picomatch';
import { SluiceError } from '../core/errors.js';

/** Patterns a source may be given, and their longest length. */
export const patternLimits = { count: 100, length: 500 } as const;

/**
 * Whether a path (relative to the folder or prefix scanned, `/`-separated) is to be ingested: it matches
 * one of `include` (all paths when there is none) and none of `exclude`. A pattern without a `/` is
 * matched against the file's name at any depth (`*.pdf`), as in `.gitignore`; one with a `/` against
 * the whole path (`docs/**\/*.md`).
 */
export function keyFilter(include: readonly string[], exclude: readonly string[]): (path: string) => boolean {
  for (const pattern of [...include, ...exclude]) {
    if (pattern.length === 0 || pattern.length > patternLimits.length) {
      throw new SluiceError('invalid_input', `A pattern must be 1 to ${patternLimits.length} characters long`);
    }
  }
  const compile = (patterns: readonly string[]) =>
    patterns.map((p) => picomatch(p, { dot: true, basename: !p.includes('/') }));
  const included = compile(include);
  const excluded = compile(exclude);
  return (path) => (included.length === 0 || included.some((m) => m(path))) && !excluded.some((m) => m(path));
}
