import { afterEach, describe, expect, it } from 'vitest';
import { chunkText } from '../../src/core/chunker.js';
import { isSluiceError } from '../../src/core/errors.js';
import { createDocumentParser } from '../../src/parsers/create-document-parser.js';
import type { ParseInput } from '../../src/ports/parser.js';
import type { DocumentSplitter, SplitDocument } from '../../src/ports/splitter.js';
import { createCl100kTokenizer } from '../../src/tokenizers/cl100k-tokenizer.js';
import { childPids } from '../helpers/child-pids.js';
import { encryptPdf, makeDocx, makePdf } from '../helpers/make-files.js';

/** What every splitter of the suite is made with. */
export const splitterSettings = {
  limits: { maxFileBytes: 1024 * 1024, parseTimeoutMs: 20_000 },
  chunker: { maxTokens: 40, overlapTokens: 6 },
};

/** Files of each format, some of several chunks, made fresh for each test. */
async function sampleFiles(): Promise<ParseInput[]> {
  const paragraph = (topic: string) =>
    `The ${topic} is described here, sentence after sentence, for a while. `.repeat(6);
  return [
    { source: 'notes.txt', bytes: Buffer.from(`${paragraph('river')}\n\n${paragraph('sluice gate')}`) },
    {
      source: 'guide.md',
      bytes: Buffer.from(`# Guide\n\n${paragraph('install step')}\n\n## More\n\n${paragraph('check')}`),
    },
    {
      source: 'page.html',
      bytes: Buffer.from(
        `<html><head><title>T</title></head><body>${'<p>Hello <b>there</b>, a paragraph of some length.</p>'.repeat(12)}</body></html>`,
      ),
    },
    { source: 'people.csv', bytes: Buffer.from('name,city\nAda,London\nGrace,New York\n') },
    { source: 'config.json', bytes: Buffer.from(JSON.stringify({ service: { name: 'sluice', ports: [8080, 8081] } })) },
    { source: 'book.pdf', bytes: await makePdf(['Alpha page about retrieval.', 'Beta page about ingestion.']) },
    { source: 'report.docx', bytes: await makeDocx('Report', [paragraph('quarter'), paragraph('outlook')]) },
  ];
}

/** What the splitter must answer: the file parsed by the parser registry, then cut by core's chunker. */
async function reference(input: ParseInput): Promise<SplitDocument> {
  const parsed = await createDocumentParser(splitterSettings.limits).parse(input);
  return {
    mediaType: parsed.mediaType,
    chunks: await chunkText(parsed, createCl100kTokenizer(), splitterSettings.chunker),
  };
}

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'no error';
  } catch (error) {
    return isSluiceError(error)
      ? `${error.code}${error.retryable ? ' (retryable)' : ''}`
      : `not a SluiceError: ${String(error)}`;
  }
}

/**
 * The behaviour every DocumentSplitter adapter must show (`src/ports/splitter.ts`); run it against
 * each. `create` makes a splitter with `splitterSettings`.
 */
export function describeSplitterContract(name: string, create: () => DocumentSplitter): void {
  describe(`DocumentSplitter contract: ${name}`, () => {
    const opened: DocumentSplitter[] = [];
    afterEach(async () => {
      for (const splitter of opened.splice(0)) {
        await splitter.close?.();
      }
    });
    const open = (): DocumentSplitter => {
      const splitter = create();
      opened.push(splitter);
      return splitter;
    };

    it('splits each format into the chunks of parsing it and cutting its text with core’s chunker', async () => {
      const splitter = open();
      for (const input of await sampleFiles()) {
        const copy = Buffer.from(input.bytes);
        expect({ source: input.source, split: await splitter.split(input) }).toEqual({
          source: input.source,
          split: await reference(input),
        });
        // The caller's bytes are left as they were.
        expect(Buffer.from(input.bytes).equals(copy)).toBe(true);
      }
    });

    it('gives the same chunks every time, for files split at once as for files split one by one', async () => {
      const splitter = open();
      const files = await sampleFiles();
      const oneByOne = [];
      for (const input of files) {
        oneByOne.push(await splitter.split(input));
      }
      expect(await Promise.all(files.map((input) => splitter.split(input)))).toEqual(oneByOne);
    });

    it('tells once, before it answers, that parsing is done', async () => {
      const splitter = open();
      const calls: string[] = [];
      const split = await splitter.split(
        { source: 'a.txt', bytes: Buffer.from('Some words to split. '.repeat(40)) },
        { onParsed: () => calls.push('parsed') },
      );
      calls.push('answered');
      expect(split.chunks.length).toBeGreaterThan(1);
      expect(calls).toEqual(['parsed', 'answered']);
    });

    it('tells the pages of a PDF read, never going back, up to all of them before parsing is done; nothing for other formats', async () => {
      const splitter = open();
      const calls: string[] = [];
      const pdf = await makePdf(Array.from({ length: 12 }, (_, i) => `Page ${i + 1} about queues.`));
      await splitter.split(
        { source: 'book.pdf', bytes: pdf },
        {
          onPages: ({ read, total }) => calls.push(`${read}/${total}`),
          onParsed: () => calls.push('parsed'),
        },
      );
      expect(calls.at(0)).toBe('0/12');
      expect(calls.slice(-2)).toEqual(['12/12', 'parsed']);
      const reads = calls.slice(0, -1).map((c) => Number(c.split('/')[0]));
      expect(reads).toEqual([...reads].sort((a, b) => a - b));
      const heard: unknown[] = [];
      await splitter.split(
        { source: 'a.txt', bytes: Buffer.from('Some words to split. '.repeat(40)) },
        { onPages: (pages) => heard.push(pages) },
      );
      expect(heard).toEqual([]);
    });

    it('fails unsupported, corrupt and empty input with stable permanent codes, and goes on splitting', async () => {
      const splitter = open();
      const pdf = await makePdf(['Some page text that will be cut off.']);
      const cases: [string, ParseInput][] = [
        ['corrupt_file', { source: 'b.pdf', bytes: Buffer.from('%PDF-1.7 broken') }],
        ['corrupt_file', { source: 'cut.pdf', bytes: pdf.subarray(0, Math.floor(pdf.length / 3)) }],
        ['encrypted_file', { source: 'locked.pdf', bytes: await encryptPdf(pdf, 'secret') }],
        ['corrupt_file', { source: 'broken.json', bytes: Buffer.from('{"unterminated": ') }],
        [
          'unsupported_media_type',
          { source: 'image.txt', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]) },
        ],
        ['empty_document', { source: 'zero.txt', bytes: Buffer.alloc(0) }],
        ['empty_document', { source: 'blank.txt', bytes: Buffer.from('   \n\n  ') }],
        ['empty_document', { source: 'blank.pdf', bytes: await makePdf(['', '']) }],
        ['file_too_large', { source: 'big.txt', bytes: Buffer.alloc(splitterSettings.limits.maxFileBytes + 1, 0x61) }],
      ];
      for (const [code, input] of cases) {
        expect({ source: input.source, code: await codeOf(splitter.split(input)) }).toEqual({
          source: input.source,
          code,
        });
      }
      expect(
        (await splitter.split({ source: 'next.md', bytes: Buffer.from('# Next\n\nStill here.') })).chunks,
      ).toHaveLength(1);
    });

    it('honours an aborted signal, and goes on splitting', async () => {
      const splitter = open();
      const controller = new AbortController();
      controller.abort(new Error('cancelled by the test'));
      await expect(
        splitter.split({ source: 'a.txt', bytes: Buffer.from('Some words.') }, { signal: controller.signal }),
      ).rejects.toThrow('cancelled by the test');
      expect((await splitter.split({ source: 'b.txt', bytes: Buffer.from('Other words.') })).chunks).toHaveLength(1);
    });

    it.runIf(process.platform === 'linux')('leaves no process it started behind once closed', async () => {
      const before = new Set(childPids());
      const splitter = create();
      const files = await sampleFiles();
      await Promise.all(files.map((input) => splitter.split(input)));
      await splitter.close?.();
      await expect.poll(() => childPids().filter((pid) => !before.has(pid)), { timeout: 5000 }).toEqual([]);
    });
  });
}
