import bundledRanks from 'gpt-tokenizer/bpeRanks/cl100k_base';
import { CL100K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { encode as encodeAsLibraryModule } from 'gpt-tokenizer/encoding/cl100k_base';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';
import { describe, expect, it } from 'vitest';
import { prng } from '../../test/helpers/prng.js';
import { countBytePairTokens, encodeBytePairs } from './byte-pair-merge.js';
import { createBytePairRanks } from './byte-pair-ranks.js';
import { createCl100kTokenizer } from './cl100k-tokenizer.js';
import { loadCl100kRanks } from './load-cl100k-ranks.js';

const plain = { disallowedSpecial: new Set<string>() };
const utf8 = new TextEncoder();
const random = prng(11);
const tokenizer = createCl100kTokenizer();

// The reference: gpt-tokenizer on the ranks the tokenizer loads, merging every piece itself (O(n²)).
const entries = loadCl100kRanks();
const ranks = createBytePairRanks(entries);
const library = GptEncoding.getEncodingApi('cl100k_base', () => entries);
// And gpt-tokenizer's own cl100k module, on its own table, which keeps the eight ranks that start with a
// byte order mark as bytes where `loadCl100kRanks` keeps them as text (see `createBytePairRanks`).
const bundled = createBytePairRanks(bundledRanks);

const pick = (alphabet: readonly string[], length: number): string => {
  let out = '';
  while (out.length < length) {
    out += alphabet[Math.floor(random() * alphabet.length)] as string;
  }
  return out;
};
const chars = (text: string): string[] => [...text];

// Each family makes one pre-token of about `length` characters (checked below): a piece the library
// merges whole, so its tokens and the merge's must be the same.
const latin = chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ');
const words = 'The quick brown fox jumps over the lazy dog while sluices open and rivers flow'.split(' ');
const pieces = {
  spaces: (length) => ' '.repeat(length),
  newlines: (length) => '\n'.repeat(length),
  whitespace: (length) => pick([' ', '\t', '\n', '\r\n', '\u00a0', '\u3000', '\ufeff'], length),
  dashes: (length) => '-'.repeat(length),
  equals: (length) => '='.repeat(length),
  letter: (length) => 'a'.repeat(length),
  abab: (length) => 'ab'.repeat(length / 2),
  dashEquals: (length) => '-='.repeat(length / 2),
  spaceTab: (length) => ' \t'.repeat(length / 2),
  letters: (length) => pick(latin, length),
  base64Letters: (length) => `+${pick(latin, length - 1)}`,
  accented: (length) => pick(chars('éèàüößçñøåæœłšžÉÀÜ'), length),
  cyrillicGreek: (length) => pick(chars('абвгдежзийклмнопрстуфхцчшщыэюяαβγδεζηθικλμνξοπρστυφχψω'), length),
  chinese: (length) => pick(chars('数据库的是一个我们在这有和不了人中国大为上个'), length),
  // A lone surrogate is a symbol to the pre-tokenizer and U+FFFD's bytes to the encoder.
  emojiSymbols: (length) => pick(['🙂', '👍🏽', '€', '—', '…', '→', '\u0301', '#', '*', '{', '}', '\ud800', '©'], length),
  symbolsThenNewlines: (length) => `${pick(['-', '=', '*', '#', '/'], length - 4)}\n\n\r\n`,
  markThenWord: (length) => `\ufeff${pick(['using', 'namespace', 'a', 'b'], length - 1)}`,
  realWords: (length) => pick(words, length),
} satisfies Record<string, (length: number) => string>;

/** Lengths around the long-piece threshold (128) and up to 20k. */
const lengths = [40, 100, 126, 127, 128, 129, 130, 131, 160, 256, 500, 1000, 3000];

function expectSameAsLibrary(piece: string, label: string, alsoModule = true): void {
  const bytes = utf8.encode(piece);
  expect([...piece.matchAll(CL100K_TOKEN_SPLIT_REGEX)].length, `${label} is one pre-token`).toBe(1);
  const tokens = library.encode(piece, plain);
  expect(encodeBytePairs(bytes, ranks), label).toEqual(tokens);
  expect(countBytePairTokens(bytes, ranks), label).toBe(tokens.length);
  expect(tokenizer.count(piece), label).toBe(tokens.length);
  if (alsoModule) {
    expect(encodeBytePairs(bytes, bundled), `${label}, the library module`).toEqual(
      encodeAsLibraryModule(piece, plain),
    );
  }
}

describe('byte-pair merge of long pieces', () => {
  it('makes the tokens gpt-tokenizer makes, on every family of piece and length', () => {
    let checked = 0;
    for (const [family, make] of Object.entries(pieces)) {
      for (const length of lengths) {
        for (let sample = 0; sample < 3; sample++) {
          expectSameAsLibrary(make(length), `${family} × ${length} #${sample}`);
          checked++;
        }
      }
    }
    expect(checked).toBe(Object.keys(pieces).length * lengths.length * 3);
  });

  it('makes the same tokens on pieces up to 20k characters', () => {
    // The reference takes seconds on these (O(n²) in bytes): a few families, checked once.
    for (const [family, length] of [
      ['spaces', 20_000],
      ['dashes', 20_000],
      ['abab', 20_000],
      ['letters', 20_000],
      ['realWords', 8000],
      ['chinese', 4000],
      ['emojiSymbols', 4000],
    ] as const) {
      expectSameAsLibrary(pieces[family](length), `${family} × ${length}`, false);
    }
  });

  it('counts random text as gpt-tokenizer does, whatever its pieces', () => {
    const alphabets: string[][] = [
      // Random base64 without spaces: mostly short pieces, cut at digits.
      chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
      chars('abcdefghijklmnopqrstuvwxyz'),
      ['a', 'é', '数', '🙂', '\ufeff', 'using', ' ', '\n', '-', '=', '1', "'s", '\u0301', '\ud800'],
      [...chars(' -=_.'), ...latin],
    ];
    let checked = 0;
    for (const alphabet of alphabets) {
      for (let sample = 0; sample < 60; sample++) {
        const text = pick(alphabet, 1 + Math.floor(random() ** 2 * 4000));
        expect(tokenizer.count(text), JSON.stringify(text.slice(0, 40))).toBe(library.countTokens(text, plain));
        checked++;
      }
    }
    expect(checked).toBe(240);
  });

  it('ranks bytes as the library does, byte order marks included', () => {
    const rankOf = (table: typeof ranks, text: string): number | undefined => {
      const bytes = utf8.encode(text);
      return table.rankOf(bytes, 0, bytes.length);
    };
    // Tokens that begin with a byte-order mark are kept as bytes, as in the library's own table: as
    // text, a decoder drops the mark and they would take the place of "using", "\n\n" and others.
    for (const text of ['using', '\ufeffusing', '\n\n', '\n', '\ufeff', '\ufeff\ufeff\n', 'namespace', '//']) {
      expect({ text, rank: rankOf(ranks, text) }).toEqual({ text, rank: rankOf(bundled, text) });
    }
    // As bytes, valid UTF-8, the library never finds them: the mark is dropped and the rest looked up.
    expect(rankOf(bundled, 'using')).toBe(985);
    expect(rankOf(bundled, '\ufeffusing')).toBe(985);
    expect(rankOf(bundled, '\n\n')).toBe(271);
    expect(rankOf(bundled, '\ufeff')).toBeUndefined();
    expect(rankOf(bundled, '\ufeff\ufeff\n')).toBeUndefined();
    expect(rankOf(ranks, 'hello')).toBe(library.encode('hello', plain)[0]);
    // Not valid UTF-8 on their own: ranked as bytes.
    expect(ranks.rankOf(Uint8Array.of(0x80), 0, 1)).toBeDefined();
    expect(ranks.rankOf(Uint8Array.of(0xff), 0, 1)).toBeDefined();
    expect(rankOf(ranks, 'no such token at all')).toBeUndefined();
    // The tokenizer merges pieces over 128 chars itself, never looking them up whole.
    expect(Math.max(...entries.map((entry) => entry.length))).toBe(128);
  });

  it('takes time about linear in the length of a piece: 64k within 40 times 4k (O(n²) gives 256)', () => {
    const time = (texts: string[]): number => {
      const started = performance.now();
      for (const text of texts) {
        tokenizer.count(text);
      }
      return performance.now() - started;
    };
    // Fresh letters each time (counts are cached by piece); the best of three rounds, as a busy machine
    // slows some. The 4k time is that of 16 pieces, the same bytes as one 64k piece, for a longer timing.
    let small = Infinity;
    let large = Infinity;
    for (let round = 0; round < 3; round++) {
      small = Math.min(small, time(Array.from({ length: 16 }, () => pick(latin, 4096))) / 16);
      large = Math.min(large, time([pick(latin, 65_536)]));
    }
    expect(large / small).toBeLessThan(40);
  });
});
