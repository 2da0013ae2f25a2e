import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtEntryPoint } from './built-entry-point.js';

describe('builtEntryPoint', () => {
  it('takes the file beside the module when it is there, else the one at the same place under dist/', () => {
    expect(builtEntryPoint(import.meta.url, './built-entry-point.test.ts')).toBe(fileURLToPath(import.meta.url));
    expect(builtEntryPoint('file:///srv/app/src/store/sqlite/host.ts', './thread.js')).toBe(
      '/srv/app/dist/store/sqlite/thread.js',
    );
    expect(builtEntryPoint('file:///srv/app/lib/host.js', './thread.js')).toBe('/srv/app/lib/thread.js');
  });
});
