import { beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError, type ErrorCode } from '../../src/core/errors.js';
import { createDocumentParser } from '../../src/parsers/create-document-parser.js';
import { createInProcessSplitter } from '../../src/parsers/in-process-splitter.js';
import { createCl100kTokenizer } from '../../src/tokenizers/cl100k-tokenizer.js';
import { makeDocxFromBody, makeRawPdf } from '../helpers/make-files.js';
import { prng } from '../helpers/prng.js';

/**
 * Hostile shapes of every format, parsed and chunked as a parse process does it. Each must cost about
 * what its size says: at 4n well under 16 times its cost at n (quadratic work), and within a small
 * factor of an ordinary file of the same size. The bounds are generous: the machine may be busy.
 */
const limits = { maxFileBytes: 64 * 1024 * 1024, parseTimeoutMs: 120_000 };
const splitter = createInProcessSplitter(createDocumentParser(limits), createCl100kTokenizer(), {
  maxTokens: 500,
  overlapTokens: 50,
});

/** At most this many times slower at 4n than at n: linear work gives about 4, quadratic 16. */
const maxGrowth = 10;
/** At most this many times slower than an ordinary file of the same size. */
const maxVsPlain = 10;
/** Times under this are noise (a timer tick, a collection): ratios are taken of at least it. */
const floorMs = 25;

interface Outcome {
  ms: number;
  code: ErrorCode | 'ok';
}

async function split(bytes: Buffer, source: string): Promise<Outcome> {
  const started = performance.now();
  try {
    await splitter.split({ bytes, source });
    return { ms: performance.now() - started, code: 'ok' };
  } catch (error) {
    if (!isSluiceError(error)) {
      throw error;
    }
    return { ms: performance.now() - started, code: error.code };
  }
}

/**
 * The faster of two runs, each of a file `make` writes afresh: one run may meet a collection or a burst
 * of a neighbour's work, and the same text twice would find the tokenizer's caches full the second time.
 */
async function fastest(make: () => Buffer, source: string): Promise<Outcome & { bytes: number }> {
  const first = make();
  const firstOutcome = await split(first, source);
  const second = await split(make(), source);
  return { ...(firstOutcome.ms <= second.ms ? firstOutcome : second), bytes: first.length };
}

/** The cost at n and at 4n, and their ratio. */
async function growth(
  make: (n: number) => Buffer,
  n: number,
  source: string,
): Promise<{ ratio: number; large: Outcome; bytes: number }> {
  const small = await fastest(() => make(n), source);
  const large = await fastest(() => make(4 * n), source);
  return { ratio: large.ms / Math.max(floorMs, small.ms), large, bytes: large.bytes };
}

/** How many times the cost of an ordinary file of the same size, as `plain` writes it, `outcome` cost. */
async function versusPlain(outcome: Outcome, plain: () => Buffer, source: string): Promise<number> {
  return outcome.ms / Math.max(floorMs, (await fastest(plain, source)).ms);
}

// Text differs from file to file (see `fastest`), yet is the same from run to run.
const random = prng(1);

/** Words from a vocabulary large enough that the tokenizer's caches do not make the text free. */
function words(bytes: number): string {
  const vocabulary = Array.from({ length: 5000 }, () => letters(2 + Math.floor(random() * 8)));
  const out: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const word = vocabulary[Math.floor(random() * vocabulary.length)] as string;
    const end = i % 97 === 96 ? '.\n\n' : i % 13 === 12 ? '. ' : ' ';
    out.push(word, end);
    length += word.length + end.length;
  }
  return out.join('').slice(0, bytes);
}

function letters(count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    out += String.fromCharCode(97 + Math.floor(random() * 26));
  }
  return out;
}

/** About `bytes` of HTML paragraphs. */
function plainHtml(bytes: number): Buffer {
  return Buffer.from(`<html><body>${paragraphs(bytes, (p) => `<p>${p}</p>`)}</body></html>`);
}

/** About `bytes` of JSON records, each a sentence. */
function records(bytes: number): Buffer {
  return Buffer.from(
    JSON.stringify(
      words(bytes)
        .split('. ')
        .map((sentence, i) => ({ i, sentence })),
    ),
  );
}

/** About `bytes` of ordinary paragraphs, each wrapped by `wrap`. */
function paragraphs(bytes: number, wrap: (text: string) => string): string {
  return words(bytes).split('\n\n').map(wrap).join('\n');
}

describe('pathological documents cost time about linear in their size', () => {
  beforeAll(async () => {
    // Loads each format's parser and the tokenizer's tables, so the first measurement is not theirs.
    await split(Buffer.from('<html><body><p>warm</p></body></html>'), 'warm.html');
    await split(Buffer.from('{"warm":[1]}'), 'warm.json');
    await split(Buffer.from('a,b\n1,2\n'), 'warm.csv');
    await split(makeDocxFromBody('<w:p><w:r><w:t>warm</w:t></w:r></w:p>'), 'warm.docx');
    await split(makeRawPdf('BT /F1 12 Tf 50 780 Td (warm) Tj ET'), 'warm.pdf');
  });

  it('HTML: elements nested 100,000 deep', async () => {
    const nested = (n: number) =>
      Buffer.from(`<html><body>${'<div>'.repeat(n)}deep${'</div>'.repeat(n)}</body></html>`);
    const { ratio, large, bytes } = await growth(nested, 25_000, 'nested.html');
    expect(large.code).toBe('ok');
    expect(ratio).toBeLessThan(maxGrowth);
    expect(await versusPlain(large, () => plainHtml(bytes), 'plain.html')).toBeLessThan(maxVsPlain);
  });

  it('HTML: end tags that close nothing, below a deep stack of open elements', async () => {
    const stray = (n: number) => Buffer.from(`<html><body>${'<div>'.repeat(n)}text${'</span>'.repeat(n)}`);
    const { ratio, large, bytes } = await growth(stray, 20_000, 'stray.html');
    expect(large.code).toBe('ok');
    expect(ratio).toBeLessThan(maxGrowth);
    expect(await versusPlain(large, () => plainHtml(bytes), 'plain.html')).toBeLessThan(maxVsPlain);
  });

  it('HTML: a long run of spaces that no line end follows', async () => {
    const spaces = (n: number) =>
      Buffer.from(`<html><body><pre>${' '.repeat(n)}x</pre><p>a${'<b> </b>'.repeat(n / 8)}b</p></body></html>`);
    const { ratio, large, bytes } = await growth(spaces, 16_000, 'spaces.html');
    expect(large.code).toBe('ok');
    expect(ratio).toBeLessThan(maxGrowth);
    expect(await versusPlain(large, () => plainHtml(bytes), 'plain.html')).toBeLessThan(maxVsPlain);
  });

  it('JSON: nested 100,000 deep fails at once as too complex', async () => {
    const arrays = Buffer.from(`${'['.repeat(100_000)}1${']'.repeat(100_000)}`);
    const objects = Buffer.from(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
    const plain = () => records(objects.length);
    for (const [bytes, source] of [
      [arrays, 'arrays.json'],
      [objects, 'objects.json'],
    ] as const) {
      const outcome = await split(bytes, source);
      expect(outcome.code).toBe('document_too_complex');
      expect(await versusPlain(outcome, plain, 'plain.json')).toBeLessThan(maxVsPlain);
    }
  });

  it('JSON: deep and wide, whose paths would repeat for every leaf, fails at once as too complex', async () => {
    const deepAndWide = Buffer.from(
      `${'{"key":'.repeat(200)}[${Array.from({ length: 50_000 }, (_, i) => i).join(',')}]${'}'.repeat(200)}`,
    );
    const outcome = await split(deepAndWide, 'wide.json');
    expect(outcome.code).toBe('document_too_complex');
    expect(await versusPlain(outcome, () => records(deepAndWide.length), 'plain.json')).toBeLessThan(maxVsPlain);
  });

  it('Markdown: blockquotes nested 100,000 deep, lists nested hundreds deep, a line without spaces', async () => {
    const markdown = (n: number) => {
      const list = Array.from({ length: n / 256 }, (_, i) => `${'  '.repeat(i % 256)}- item ${i}`).join('\n');
      return Buffer.from(`# Nested\n\n${'>'.repeat(n)} quoted\n\n${list}\n\n${letters(n / 2)}\n`);
    };
    const { ratio, large, bytes } = await growth(markdown, 100_000, 'nested.md');
    expect(large.code).toBe('ok');
    expect(ratio).toBeLessThan(maxGrowth);
    expect(await versusPlain(large, () => Buffer.from(`# Plain\n\n${words(bytes)}`), 'plain.md')).toBeLessThan(
      maxVsPlain,
    );
  });

  it('Markdown: thousands of fenced code blocks between one-line paragraphs, with no blank line anywhere', async () => {
    const fences = (n: number) =>
      Buffer.from(
        `# Fences\n${Array.from({ length: n }, (_, i) => `para ${i} text here\n\`\`\`\ncode ${i}\n\`\`\``).join('\n')}\n`,
      );
    const { ratio, large } = await growth(fences, 8_000, 'fences.md');
    expect(large.code).toBe('ok');
    expect(ratio).toBeLessThan(maxGrowth);
  });

  it('text: one line of half a megabyte with no whitespace', async () => {
    const line = (n: number) => Buffer.from(letters(n));
    const { ratio, large, bytes } = await growth(line, 128 * 1024, 'line.txt');
    expect(large.code).toBe('ok');
    expect(ratio).toBeLessThan(maxGrowth);
    // A run without a boundary is cut into windows, each merged anew (in O(n log n), byte-pair-merge.ts):
    // about twice the cost of words, which the tokenizer counts once each.
    expect(await versusPlain(large, () => Buffer.from(words(bytes)), 'plain.txt')).toBeLessThan(maxVsPlain);
  });

  it('CSV: one quoted field of half a megabyte, and 100,000 columns', async () => {
    const field = (n: number) => Buffer.from(`name,notes\nfirst,"${letters(n)}"\n`);
    const fieldGrowth = await growth(field, 128 * 1024, 'field.csv');
    expect(fieldGrowth.large.code).toBe('ok');
    expect(fieldGrowth.ratio).toBeLessThan(maxGrowth);
    const columns = (n: number) =>
      Buffer.from(
        `${Array.from({ length: n }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: n }, (_, i) => `v${i}`).join(',')}\n`,
      );
    const columnGrowth = await growth(columns, 25_000, 'columns.csv');
    expect(columnGrowth.large.code).toBe('ok');
    expect(columnGrowth.ratio).toBeLessThan(maxGrowth);
    const plain = () => {
      const rows = words(columnGrowth.bytes)
        .split('. ')
        .map((sentence, i) => `${i},"${sentence.replaceAll('\n', ' ')}"`);
      return Buffer.from(`id,sentence\n${rows.join('\n')}\n`);
    };
    expect(await versusPlain(columnGrowth.large, plain, 'plain.csv')).toBeLessThan(maxVsPlain);
  });

  it('DOCX: tables nested thousands deep fail at once as too complex; deep blocks side by side parse in linear time', async () => {
    const paragraph = (text: string) => `<w:p><w:r><w:t>${text}</w:t></w:r></w:p>`;
    const tables = `${'<w:tbl><w:tr><w:tc>'.repeat(5000)}${paragraph('deep')}${'</w:tc></w:tr></w:tbl>'.repeat(5000)}`;
    const outcome = await split(makeDocxFromBody(tables), 'tables.docx');
    expect(outcome.code).toBe('document_too_complex');
    // Of the same size unzipped: the nesting compresses to almost nothing.
    const plain = () => makeDocxFromBody(paragraphs(tables.length, paragraph));
    expect(await versusPlain(outcome, plain, 'plain.docx')).toBeLessThan(maxVsPlain);
    const block = `${'<w:sdt><w:sdtContent>'.repeat(100)}${paragraph('inside')}${'</w:sdtContent></w:sdt>'.repeat(100)}`;
    const blocks = (n: number) => makeDocxFromBody(block.repeat(n));
    const { ratio, large } = await growth(blocks, 40, 'blocks.docx');
    expect(large.code).toBe('ok');
    expect(ratio).toBeLessThan(maxGrowth);
  });

  it('PDF: arrays and dictionaries nested 100,000 deep in a content stream', async () => {
    const text = 'BT /F1 12 Tf 50 780 Td (Nested operands) Tj ET';
    const nested = (n: number) =>
      makeRawPdf(`${text}\n${'['.repeat(n)}${']'.repeat(n)} pop\n${'<< /A '.repeat(n / 4)}${'>>'.repeat(n / 4)} pop\n`);
    const { ratio, large, bytes } = await growth(nested, 25_000, 'nested.pdf');
    expect(large.code).toBe('ok');
    expect(ratio).toBeLessThan(maxGrowth);
    const plain = () => {
      const lines = words(bytes)
        .split(/[.\n]+/)
        .map((sentence, i) => `BT /F1 10 Tf 40 ${800 - (i % 70) * 11} Td (${sentence.trim()}) Tj ET`);
      return makeRawPdf(lines.join('\n'));
    };
    expect(await versusPlain(large, plain, 'plain.pdf')).toBeLessThan(maxVsPlain);
  });
});
