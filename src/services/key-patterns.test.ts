import { describe, expect, it } from 'vitest';
import { keyFilter } from './key-patterns.js';

describe('keyFilter', () => {
  it('matches names at any depth without a slash, whole paths with one, and lets exclude win', () => {
    const wanted = keyFilter(['*.md', 'guides/**/*.pdf'], ['drafts/**', '.*']);
    expect(['a.md', 'x/y/b.md', 'guides/c.pdf', 'guides/v1/d.pdf'].filter(wanted)).toHaveLength(4);
    expect(['e.pdf', 'other/guides/f.pdf', 'drafts/g.md', 'x/.hidden', 'h.md.bak'].filter(wanted)).toEqual([]);
    expect(keyFilter([], [])('anything/at/all.bin')).toBe(true);
    expect(keyFilter([], ['*.svg'])('img/logo.svg')).toBe(false);
  });

  it('refuses empty and overlong patterns', () => {
    expect(() => keyFilter([''], [])).toThrow(/1 to 500 characters/);
    expect(() => keyFilter([], ['x'.repeat(501)])).toThrow(/1 to 500 characters/);
  });
});
