import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCl100kTokenizer } from '../tokenizers/cl100k-tokenizer.js';
import { htmlToText } from '../parsers/html-to-text.js';
import { chunkText, pageAt } from './chunker.js';
import { markdownHeadings, markdownOutline } from './markdown-headings.js';
import type { Chunk } from './types.js';

const tokenizer = createCl100kTokenizer();
const plain = (text: string) => ({ text, mediaType: 'text/plain' });
const markdown = (text: string) => ({ text, mediaType: 'text/markdown', headings: markdownHeadings(text) });
const markdownWithCode = (text: string) => ({ text, mediaType: 'text/markdown', ...markdownOutline(text) });

/** The chunks that hold part of the visible text of `[start, end)` but not all of it. */
function cutting(chunks: Chunk[], text: string, [start, end]: [number, number]): Chunk[] {
  const from = start + (text.slice(start, end).length - text.slice(start, end).trimStart().length);
  const to = start + text.slice(start, end).trimEnd().length;
  return chunks.filter((c) => c.charStart < to && c.charEnd > from && (c.charStart > from || c.charEnd < to));
}

/** Text built from words, sentences, paragraphs and headings, plus odd characters. */
const documentArbitrary = fc
  .array(
    fc.oneof(
      fc.constantFrom('word', 'retrieval', 'ingestion', 'α', '数据', '🙂', 'x'.repeat(30), '<|endoftext|>'),
      fc.constantFrom(' ', ' ', ' ', '. ', '\n', '\n\n', '\n\n## Heading\n\n', '\t'),
      fc.string({ maxLength: 12 }),
    ),
    { maxLength: 600 },
  )
  .map((parts) => parts.join(''));

describe('chunkText', () => {
  it('keeps every chunk within the token limit and exactly on its offsets', async () => {
    await fc.assert(
      fc.asyncProperty(
        documentArbitrary,
        fc.integer({ min: 16, max: 120 }),
        fc.integer({ min: 0, max: 15 }),
        async (text, maxTokens, overlapTokens) => {
          const chunks = await chunkText(plain(text), tokenizer, { maxTokens, overlapTokens });
          for (const chunk of chunks) {
            expect(tokenizer.count(chunk.text)).toBeLessThanOrEqual(maxTokens);
            expect(chunk.tokenCount).toBe(tokenizer.count(chunk.text));
            expect(text.slice(chunk.charStart, chunk.charEnd)).toBe(chunk.text);
            expect(chunk.text.trim()).toBe(chunk.text);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('covers every non-blank character, in order, with no gap', async () => {
    await fc.assert(
      fc.asyncProperty(
        documentArbitrary,
        fc.integer({ min: 16, max: 120 }),
        fc.integer({ min: 0, max: 15 }),
        async (text, maxTokens, overlapTokens) => {
          const chunks = await chunkText(plain(text), tokenizer, { maxTokens, overlapTokens });
          const covered = new Uint8Array(text.length);
          let lastStart = -1;
          chunks.forEach((chunk, i) => {
            expect(chunk.index).toBe(i);
            expect(chunk.charStart).toBeGreaterThan(lastStart);
            lastStart = chunk.charStart;
            covered.fill(1, chunk.charStart, chunk.charEnd);
          });
          for (let i = 0; i < text.length; i++) {
            if (!/\s/.test(text.charAt(i))) {
              expect(covered[i], `char ${i} of ${JSON.stringify(text)}`).toBe(1);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never starts a chunk where the previous one started, even when that one is all overlap and one atom', async () => {
    // Found by the property above: a chunk cut back to its carried overlap plus one atom was carried whole.
    const text = '\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx<|endoftext|>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';
    const chunks = await chunkText(plain(text), tokenizer, { maxTokens: 16, overlapTokens: 8 });
    expect(chunks.length).toBeGreaterThan(1);
    for (let i = 1; i < chunks.length; i++) {
      expect(chunks[i]!.charStart).toBeGreaterThan(chunks[i - 1]!.charStart);
    }
  });

  it('repeats up to the overlap budget from one chunk into the next', async () => {
    const text = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} talks about topic ${i % 7}.`).join(' ');
    const chunks = await chunkText(plain(text), tokenizer, { maxTokens: 60, overlapTokens: 20 });
    expect(chunks.length).toBeGreaterThan(3);
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1]!;
      const current = chunks[i]!;
      expect(current.charStart).toBeLessThan(previous.charEnd);
      expect(tokenizer.count(text.slice(current.charStart, previous.charEnd))).toBeLessThanOrEqual(22);
    }
  });

  it('cuts before the headings the format marks rather than in the middle of a section', async () => {
    const section = (n: number) => `## Section ${n}\n\n${'Some text about this section. '.repeat(12)}`;
    const text = [1, 2, 3, 4].map(section).join('\n\n');
    const chunks = await chunkText(markdown(text), tokenizer, { maxTokens: 200, overlapTokens: 20 });
    expect(chunks.map((c) => c.text.slice(0, 12))).toEqual([
      '## Section 1',
      '## Section 2',
      '## Section 3',
      '## Section 4',
    ]);
  });

  it('takes no line for a heading because it begins with #: shell prompts and config comments stay in their chunk', async () => {
    const config = [
      '# /etc/ssh/sshd_config: the settings this guide changes',
      'Port 22',
      '# Only keys, never passwords:',
      'PasswordAuthentication no',
      '# root logs in with a key alone',
      'PermitRootLogin prohibit-password',
      '## The rest is as the package ships it',
      'UsePAM yes',
    ].join('\n');
    const prose = `Edit the file as root, then restart the service.\n\n${config}\n\nThen check that you can still log in.`;
    const plainChunks = await chunkText(plain(prose), tokenizer, { maxTokens: 200, overlapTokens: 20 });
    expect(plainChunks).toHaveLength(1);
    // In Markdown, the same lines inside a fence are code, not headings.
    const fenced = `# Hardening SSH\n\nEdit the file as root.\n\n\`\`\`\n${config}\n\`\`\`\n\nThen check that you can still log in.`;
    const mdChunks = await chunkText(markdown(fenced), tokenizer, { maxTokens: 200, overlapTokens: 20 });
    expect(mdChunks).toHaveLength(1);
    expect(markdownHeadings(fenced)).toEqual([0]);
  });

  it('splits a 2 MB line with no spaces quickly and within the limit', async () => {
    const text = 'a'.repeat(2 * 1024 * 1024);
    const started = Date.now();
    const chunks = await chunkText(plain(text), tokenizer, { maxTokens: 500, overlapTokens: 0 });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(chunks.every((c) => c.tokenCount <= 500)).toBe(true);
    expect(chunks.reduce((sum, c) => sum + c.text.length, 0)).toBe(text.length);
  });

  it('maps chunks to the page they start on', async () => {
    const pages = [
      'First page text, with a few more words in it.',
      'Second page text, with a few more words too.',
      'Third page text, and some more words to end.',
    ];
    const text = pages.join('\n\n');
    const pageStarts = [0, pages[0]!.length + 2, pages[0]!.length + pages[1]!.length + 4];
    const chunks = await chunkText({ text, mediaType: 'application/pdf', pageStarts }, tokenizer, {
      maxTokens: 14,
      overlapTokens: 0,
    });
    expect(chunks.map((c) => c.page)).toEqual([1, 2, 3]);
    expect(pageAt(pageStarts, 0)).toBe(1);
    expect(pageAt(pageStarts, text.length - 1)).toBe(3);
    expect(pageAt(undefined, 5)).toBeNull();
  });

  it('gives nothing for blank text', async () => {
    expect(await chunkText(plain(' \n\n \t'), tokenizer, { maxTokens: 50, overlapTokens: 5 })).toEqual([]);
  });
});

describe('chunkText with code blocks', () => {
  const config = [
    '# /etc/ssh/sshd_config: the settings this guide changes',
    'Port 22',
    '',
    '# Only keys, never passwords:',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    '',
    '# root logs in with a key alone',
    'PermitRootLogin prohibit-password',
    '',
    '## The rest is as the package ships it',
    'UsePAM yes',
  ].join('\n');
  const intro =
    'Harden the SSH server before the machine is reachable from the internet. Every change below is one line ' +
    'of the server configuration, and each is explained in a comment.';

  it('keeps a fenced config example whole, its blank lines and # comments included, and starts a chunk with it', async () => {
    const text = `# Hardening SSH\n\n${intro}\n\n\`\`\`\n${config}\n\`\`\`\n\nThen restart the service and log in again.`;
    const parsed = markdownWithCode(text);
    expect(parsed.headings).toEqual([0]);
    const block = parsed.codeBlocks[0]!;
    // The block fits alone (about 70 tokens), but not after the introduction.
    const chunks = await chunkText(parsed, tokenizer, { maxTokens: 100, overlapTokens: 30 });
    expect(cutting(chunks, text, block)).toEqual([]);
    expect(chunks.map((c) => c.text.slice(0, 3))).toEqual(['# H', '```']);
    expect(chunks[1]!.text).toContain(config);
    expect(chunks.every((c) => c.tokenCount <= 100 && text.slice(c.charStart, c.charEnd) === c.text)).toBe(true);
  });

  it('keeps a <pre> block of HTML whole', async () => {
    const html = `<html><body><h1>Hardening SSH</h1><p>${intro}</p><pre>${config}</pre><p>Then log in again.</p></body></html>`;
    const parsed = { ...htmlToText(html), mediaType: 'text/html' };
    expect(parsed.codeBlocks.map(([start, end]) => parsed.text.slice(start, end))).toEqual([config]);
    const chunks = await chunkText(parsed, tokenizer, { maxTokens: 100, overlapTokens: 30 });
    expect(cutting(chunks, parsed.text, parsed.codeBlocks[0]!)).toEqual([]);
    expect(chunks.filter((c) => c.text.includes(config))).toHaveLength(1);
  });

  it('carries overlap from before a block into the chunk the block starts, within the limit', async () => {
    const lead = 'Edit the file.\n\nThen add these lines.\n\n';
    const text = `${intro}\n\n${lead}\`\`\`\n${config}\n\`\`\``;
    const parsed = markdownWithCode(text);
    const chunks = await chunkText(parsed, tokenizer, { maxTokens: 100, overlapTokens: 12 });
    // The lines that introduce the block come with it, as far as the overlap budget and the limit allow.
    expect(chunks).toHaveLength(2);
    expect(chunks[0]!.text.endsWith('Edit the file.\n\nThen add these lines.')).toBe(true);
    expect(chunks[1]!.text.startsWith('Edit the file.\n\nThen add these lines.\n\n```')).toBe(true);
    expect(chunks[1]!.tokenCount).toBeLessThanOrEqual(100);
    expect(cutting(chunks, text, parsed.codeBlocks[0]!)).toEqual([]);
  });

  it('cuts a block longer than the limit at its blank lines, and keeps the blocks around it that fit whole', async () => {
    const group = (n: number) =>
      [`# group ${n}`, `listen ${8000 + n}`, `server_name host${n}.example.org`, `root /srv/www/${n}`].join('\n');
    const big = Array.from({ length: 12 }, (_, n) => group(n)).join('\n\n');
    const text = [
      `${intro}\n\n\`\`\`\n${config}\n\`\`\``,
      `The full file:\n\n\`\`\`nginx\n${big}\n\`\`\``,
      `${intro}\n\n~~~\n${config}\n~~~`,
    ].join('\n\n');
    const parsed = markdownWithCode(text);
    const [small, large, again] = parsed.codeBlocks as [[number, number], [number, number], [number, number]];
    expect(tokenizer.count(text.slice(...large))).toBeGreaterThan(100);
    const chunks = await chunkText(parsed, tokenizer, { maxTokens: 100, overlapTokens: 20 });
    expect(cutting(chunks, text, small)).toEqual([]);
    expect(cutting(chunks, text, again)).toEqual([]);
    const inLarge = cutting(chunks, text, large);
    expect(inLarge.length).toBeGreaterThan(2);
    // Inside the large block, every chunk starts and ends at a blank line (or at the block's own edge).
    for (const chunk of inLarge) {
      expect(chunk.charStart === large[0] || text.slice(chunk.charStart - 2, chunk.charStart) === '\n\n').toBe(true);
      expect(chunk.charEnd >= large[1] || text.slice(chunk.charEnd, chunk.charEnd + 2) === '\n\n').toBe(true);
    }
    expect(chunks.every((c) => c.tokenCount <= 100 && text.slice(c.charStart, c.charEnd) === c.text)).toBe(true);
  });

  it('cuts a block at lines where a run between blank lines is longer than the limit', async () => {
    const lines = Array.from({ length: 40 }, (_, n) => `    option_${n} = "value number ${n}"  # set by the installer`);
    const text = `${intro}\n\n\`\`\`toml\n${lines.join('\n')}\n\`\`\`\n\n\`\`\`\n${config}\n\`\`\``;
    const parsed = markdownWithCode(text);
    const [large, small] = parsed.codeBlocks as [[number, number], [number, number]];
    const chunks = await chunkText(parsed, tokenizer, { maxTokens: 100, overlapTokens: 20 });
    expect(cutting(chunks, text, small)).toEqual([]);
    const inLarge = cutting(chunks, text, large);
    expect(inLarge.length).toBeGreaterThan(2);
    for (const chunk of inLarge) {
      expect(text.slice(large[0], chunk.charStart)).toMatch(/(?:^|\n)[ \t]*$/);
      expect(text.slice(chunk.charEnd, large[1])).toMatch(/^[ \t]*(?:\n|$)/);
    }
  });

  it('keeps a block whole when the text around it fits only with its leading blank', async () => {
    // Found by the property below: 20 tokens as a range, 21 once trimmed (" ingestion" is one token,
    // "ingestion" two), so the chunk was cut finer, and once cut anywhere, through the block.
    const text = ' ingestion\n\n```sh\n# a comment\n\nrun it\n```\n\n 0 0 0';
    const parsed = markdownWithCode(text);
    const chunks = await chunkText(parsed, tokenizer, { maxTokens: 20, overlapTokens: 0 });
    expect(chunks.map((c) => c.text)).toEqual(['ingestion\n\n```sh\n# a comment\n\nrun it\n```', '0 0 0']);
  });

  it('keeps every chunk within the limit and exactly on its offsets, and never cuts a block that fits', async () => {
    const withFences = fc
      .array(
        fc.oneof(
          documentArbitrary,
          fc.constantFrom('\n```\n', '\n~~~~\n', '\n\n```sh\n# a comment\n\nrun it\n```\n\n', '\n    ```\n'),
        ),
        { maxLength: 8 },
      )
      .map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(
        withFences,
        fc.integer({ min: 16, max: 120 }),
        fc.integer({ min: 0, max: 15 }),
        async (text, maxTokens, overlapTokens) => {
          const parsed = markdownWithCode(text);
          const chunks = await chunkText(parsed, tokenizer, { maxTokens, overlapTokens });
          let lastStart = -1;
          for (const chunk of chunks) {
            expect(chunk.tokenCount).toBeLessThanOrEqual(maxTokens);
            expect(chunk.tokenCount).toBe(tokenizer.count(chunk.text));
            expect(text.slice(chunk.charStart, chunk.charEnd)).toBe(chunk.text);
            expect(chunk.charStart).toBeGreaterThan(lastStart);
            lastStart = chunk.charStart;
          }
          for (const block of parsed.codeBlocks) {
            if (tokenizer.count(text.slice(...block).trim()) <= maxTokens) {
              expect(cutting(chunks, text, block)).toEqual([]);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('chunkText sharing a thread', () => {
  it('gives the event loop turns on a long document, and interleaved documents chunk as they would alone', async () => {
    const text = Array.from(
      { length: 4000 },
      (_, i) => `Sentence ${i} about chunking while a server keeps answering.`,
    ).join(' ');
    const other = Array.from({ length: 3000 }, (_, i) => `Other line ${i}.\n`).join('');
    let turns = 0;
    const yieldToEventLoop = () =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          turns++;
          resolve();
        }),
      );
    const options = { maxTokens: 100, overlapTokens: 10, yieldToEventLoop };
    const [a, b] = await Promise.all([
      chunkText(plain(text), tokenizer, options),
      chunkText(plain(other), tokenizer, options),
    ]);
    expect(turns).toBeGreaterThan(0);
    expect(a).toEqual(await chunkText(plain(text), tokenizer, { maxTokens: 100, overlapTokens: 10 }));
    expect(b).toEqual(await chunkText(plain(other), tokenizer, { maxTokens: 100, overlapTokens: 10 }));
  });
});
