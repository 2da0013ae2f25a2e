import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../core/errors.js';
import { parseJson } from './json-parser.js';

function failure(text: string): { code: string; retryable: boolean } | undefined {
  try {
    parseJson(text);
    return undefined;
  } catch (error) {
    if (!isSluiceError(error)) {
      throw error;
    }
    return { code: error.code, retryable: error.retryable };
  }
}

const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('parseJson', () => {
  it('turns ordinary nested JSON into one path: value line per leaf, records apart', () => {
    const text = JSON.stringify({
      service: { name: 'sluice', ports: [8080, 8443], tls: true, empty: '', none: null },
      users: [
        { id: 1, roles: ['admin'] },
        { id: 2, roles: [], profile: { city: 'Köln' } },
      ],
      matrix: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(parseJson(text).text).toBe(
      [
        'service.name: sluice',
        'service.ports[0]: 8080',
        'service.ports[1]: 8443',
        'service.tls: true',
        'users[0].id: 1',
        'users[0].roles[0]: admin',
        '',
        'users[1].id: 2',
        'users[1].profile.city: Köln',
        '',
        'matrix[0][0]: 1',
        'matrix[0][1]: 2',
        '',
        'matrix[1][0]: 3',
        'matrix[1][1]: 4',
      ].join('\n'),
    );
    expect(parseJson('"just a string"').text).toBe('just a string');
    expect(parseJson('{"a":1}\n{"a":2}\n').text).toBe('a: 1\n\na: 2');
  });

  it('reads nesting down to its limit, and fails past it as too complex, for good', () => {
    expect(parseJson(nested(256)).text).toBe(`${'[0]'.repeat(256)}: 1`);
    expect(failure(nested(257))).toEqual({ code: 'document_too_complex', retryable: false });
    expect(failure(nested(100_000))).toEqual({ code: 'document_too_complex', retryable: false });
    expect(failure(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`)).toEqual({
      code: 'document_too_complex',
      retryable: false,
    });
    // Each line of JSON Lines has the same limit.
    expect(failure(`{"a":1}\n${nested(300)}\n`)?.code).toBe('document_too_complex');
  });

  it('fails a document whose repeated paths would make far more text than the file as too complex', () => {
    const deepAndWide = `${'{"key":'.repeat(200)}[${Array.from({ length: 20_000 }, (_, i) => i).join(',')}]${'}'.repeat(200)}`;
    expect(failure(deepAndWide)).toEqual({ code: 'document_too_complex', retryable: false });
    // As wide, but shallow: text of about the file's size.
    const wide = `{"key":[${Array.from({ length: 20_000 }, (_, i) => i).join(',')}]}`;
    expect(parseJson(wide).text.split('\n')).toHaveLength(20_000);
  });

  it('fails JSON that does not parse as corrupt', () => {
    expect(failure('{"unterminated": ')).toEqual({ code: 'corrupt_file', retryable: false });
  });
});
