import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { countTokens, decode, encode } from 'gpt-tokenizer/encoding/cl100k_base';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';
import { describe, expect, it } from 'vitest';
import { prng } from '../../test/helpers/prng.js';
import { chunkText } from '../core/chunker.js';
import type { Tokenizer } from '../ports/tokenizer.js';
import { createCl100kTokenizer } from './cl100k-tokenizer.js';
import { loadCl100kRanks, parseCl100kRanks } from './load-cl100k-ranks.js';

const plain = { disallowedSpecial: new Set<string>() };

describe('cl100k_base from the shipped .tiktoken file', () => {
  it('holds every rank of the library module, text or bytes alike', () => {
    const ranks = parseCl100kRanks();
    expect(ranks).toHaveLength(100_256);
    // Ranks whose bytes are not UTF-8 on their own are kept as bytes (a lone continuation byte).
    expect(ranks.filter((rank) => Array.isArray(rank)).length).toBeGreaterThan(100);
    for (const rank of [0, 1, 255, 256, 1000, 50_000, 100_255]) {
      const bytes = ranks[rank];
      const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(Uint8Array.from(bytes ?? []));
      expect(decode([rank])).toBe(text);
    }
  });

  it('the JSON the build writes beside the built tokenizer holds the same ranks', async () => {
    // `npm test` builds first; parse processes run the built modules, which read this file.
    const built = (await import(pathToFileURL(resolve('dist/tokenizers/load-cl100k-ranks.js')).href)) as {
      loadCl100kRanks: typeof parseCl100kRanks;
    };
    expect(existsSync(resolve('dist/tokenizers/cl100k-ranks.json'))).toBe(true);
    expect(built.loadCl100kRanks()).toEqual(parseCl100kRanks());
  });

  it('counts as the library module does, on any text', () => {
    const tokenizer = createCl100kTokenizer();
    const samples = [
      'The quick brown fox jumps over the lazy dog.',
      'def f(x):\n    return x + 1\n',
      '数据库 Σίσυφος naïve e\u0301 🙂 𝐀𝐁 \ud800 \u00ff\u0100',
      'quoting <|endoftext|> and <|fim_prefix|> as text',
      ' \n\n\t  trailing   ',
    ];
    for (const text of samples) {
      expect(tokenizer.count(text)).toBe(countTokens(text, plain));
      expect(tokenizer.count(text)).toBe(encode(text, plain).length);
    }
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        (text) => tokenizer.count(text) === countTokens(text, plain),
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        (text) => tokenizer.count(text) === countTokens(text, plain),
      ),
      { numRuns: 300 },
    );
  });

  it('chunks a document with long runs as counting each range with the library does', async () => {
    const random = prng(5);
    const pick = (alphabet: string, length: number): string =>
      Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const prose = 'The sluice gate opens at dawn, and the river carries what the night left behind. '.repeat(60);
    const text = [
      `# A hostile document\n\n${prose}`,
      `before ${' '.repeat(6000)} after`,
      '-'.repeat(5000),
      `${'='.repeat(3000)}\n`,
      pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 8000),
      pick('abcdefghijklmnopqrstuvwxyz', 12_000),
      pick('数据库的是一个我们在这有和不了人中国大为上个', 3000),
      `\ufeffusing ${'\n'.repeat(300)}${prose}`,
    ].join('\n\n');
    // Today's counting without the long-piece merge or the index: every range sliced and counted by
    // gpt-tokenizer on the same ranks.
    const encoding = GptEncoding.getEncodingApi('cl100k_base', loadCl100kRanks);
    const reference: Tokenizer = { name: 'library', count: (range) => encoding.countTokens(range, plain) };
    for (const maxTokens of [500, 100]) {
      const options = { maxTokens, overlapTokens: maxTokens / 10 };
      const parsed = { text, mediaType: 'text/plain' };
      const chunks = await chunkText(parsed, createCl100kTokenizer(), options);
      expect(chunks.length).toBeGreaterThan(10);
      expect(chunks).toEqual(await chunkText(parsed, reference, options));
    }
  });
});
