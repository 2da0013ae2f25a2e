import { describe, expect, it } from 'vitest';
import { isSluiceError } from './errors.js';
import { metadataOfPairs, pathMetadataReader } from './path-metadata.js';

describe('metadata from paths and pairs', () => {
  it('names the first folders of a path below the folder ingested, skipping those marked *', () => {
    const read = pathMetadataReader('{locale}/*/{section}');
    expect(read('en-US/html/admin/page.html')).toEqual({ locale: 'en-US', section: 'admin' });
    expect(read('en-US/page.html')).toEqual({});
    // A file given by a path outside the folder names no folder of it.
    expect(read('../../elsewhere/x/page.html')).toEqual({});
  });

  it('refuses a template without a field or with a malformed step', () => {
    for (const template of ['*/*', '{a b}', 'lang']) {
      expect(() => pathMetadataReader(template), template).toThrow(
        expect.objectContaining({ code: 'invalid_input' }) as Error,
      );
    }
  });

  it('reads key=value pairs, a repeated key as the list of its values', () => {
    expect(metadataOfPairs(['team=infra', 'tag=a', 'tag=b', 'note=x=y'])).toEqual({
      team: 'infra',
      tag: ['a', 'b'],
      note: 'x=y',
    });
    try {
      metadataOfPairs(['novalue']);
      expect.unreachable();
    } catch (error) {
      expect(isSluiceError(error) && error.code).toBe('invalid_input');
    }
  });
});
