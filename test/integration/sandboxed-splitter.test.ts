import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../src/core/errors.js';
import { createDocumentParser } from '../../src/parsers/create-document-parser.js';
import { createInProcessSplitter } from '../../src/parsers/in-process-splitter.js';
import { createSandboxedSplitter } from '../../src/runtime/parse-processes/sandboxed-splitter.js';
import { createCl100kTokenizer } from '../../src/tokenizers/cl100k-tokenizer.js';
import { heapHungryJson, makeDocxFromBody, makePdf } from '../helpers/make-files.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const limits = { maxFileBytes: 200 * 1024 * 1024, parseTimeoutMs: 30_000 };
const chunker = { maxTokens: 60, overlapTokens: 8 };

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'no error';
  } catch (error) {
    return isSluiceError(error) ? error.code : `not a SluiceError: ${String(error)}`;
  }
}

/** Largest gap between timer ticks on this thread while `work` runs: a blocked event loop shows here. */
async function maxEventLoopGap<T>(work: Promise<T>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  try {
    await work.catch(() => undefined);
  } finally {
    clearInterval(ticker);
  }
  return worst;
}

/** Pids of this process's children (the parse processes it forked), from /proc. */
function childPids(): number[] {
  return readdirSync(`/proc/${process.pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
}

describe('sandboxed splitter (child processes)', () => {
  const sandboxes: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(sandboxes.map((s) => s.close()));
  });
  const sandbox = (
    options: Partial<typeof limits> & {
      maxHeapMb?: number;
      processes?: number;
      nice?: number;
      idleTimeoutMs?: number;
      splitPdfAboveBytes?: number;
    } = {},
  ) => {
    const parser = createSandboxedSplitter({
      ...limits,
      chunker,
      processes: 2,
      maxHeapMb: 256,
      logger: silent,
      ...options,
    });
    sandboxes.push(parser);
    return parser;
  };

  it('runs its parse processes at the lower priority it is given', async () => {
    const before = new Set(childPids());
    const lowered = sandbox({ nice: 7, processes: 1 });
    expect(
      (await lowered.split({ bytes: Buffer.from('some words to parse '.repeat(50)), source: 'a.txt' })).chunks.length,
    ).toBeGreaterThan(0);
    const started = childPids().filter((pid) => !before.has(pid));
    expect(started).toHaveLength(1);
    expect(getPriority(started[0])).toBe(Math.min(19, getPriority() + 7));
  });

  it('gives the same result as parsing in-process, codes included', async () => {
    const parser = sandbox();
    const pdf = await makePdf(['Alpha page about retrieval.', 'Beta page about ingestion.']);
    const inProcess = createInProcessSplitter(createDocumentParser(limits), createCl100kTokenizer(), chunker);
    const fromPdf = await parser.split({ bytes: pdf, source: 'a.pdf' });
    expect(fromPdf).toEqual(await inProcess.split({ bytes: pdf, source: 'a.pdf' }));
    expect(fromPdf.chunks[0]?.page).toBe(1);
    const html = Buffer.from(
      `<html><head><title>T</title></head><body>${'<p>Hello <b>there</b>, a paragraph of some length.</p>'.repeat(40)}</body></html>`,
    );
    const fromHtml = await parser.split({ bytes: html, source: 'x.html' });
    expect(fromHtml.chunks.length).toBeGreaterThan(3);
    expect(fromHtml).toEqual(await inProcess.split({ bytes: html, source: 'x.html' }));
    // Chunks cross from the process in slices ahead of the answer: many slices, joined in text order.
    const long = Buffer.from(
      Array.from({ length: 4000 }, (_, i) => `Sentence ${i} on queues, chunks and retrieval.`).join(' '),
    );
    const fromLong = await parser.split({ bytes: long, source: 'long.txt' });
    expect(fromLong.chunks.length).toBeGreaterThan(500);
    expect(fromLong).toEqual(await inProcess.split({ bytes: long, source: 'long.txt' }));
    expect(await codeOf(parser.split({ bytes: Buffer.from('%PDF-1.7 broken'), source: 'b.pdf' }))).toBe('corrupt_file');
    // The caller's buffer is not taken from it.
    expect(pdf.byteLength).toBeGreaterThan(0);
  });

  it.runIf(process.platform === 'linux')(
    'reads a large PDF in parts, one per process at once, into the chunks of one reading',
    async () => {
      const parser = sandbox({ processes: 3, splitPdfAboveBytes: 1 });
      // Pages of nine lines, chunks of 60 tokens: chunks cross page ends, among them the ends of parts
      // (pages 1–2, 3–4 and 5–7).
      const pages = Array.from({ length: 7 }, (_, p) =>
        Array.from({ length: 9 }, (_, l) => `Page ${p + 1} line ${l + 1} on ingestion queues.`).join('\n'),
      );
      const pdf = await makePdf(pages);
      const inProcess = createInProcessSplitter(createDocumentParser(limits), createCl100kTokenizer(), chunker);
      const before = new Set(childPids());
      let parsed = 0;
      const pagesRead: number[] = [];
      const split = await parser.split(
        { bytes: pdf, source: 'book.pdf' },
        {
          onParsed: () => parsed++,
          onPages: ({ read, total }) => {
            expect(total).toBe(7);
            pagesRead.push(read);
          },
        },
      );
      // The parts' pages read add up to the file's, whichever part reports.
      expect(pagesRead.at(-1)).toBe(7);
      expect(pagesRead).toEqual([...pagesRead].sort((a, b) => a - b));
      // The pool was empty: three parts at once started three processes.
      expect(childPids().filter((pid) => !before.has(pid))).toHaveLength(3);
      expect(split).toEqual(await inProcess.split({ bytes: pdf, source: 'book.pdf' }));
      expect(parsed).toBe(1);
      expect(split.chunks.some((c) => c.text.includes('Page 2 ') && c.text.includes('Page 3 '))).toBe(true);
      expect(split.chunks.at(-1)?.page).toBe(7);
      // Fewer pages than parts: the parts without pages add nothing.
      const short = await makePdf(['Only one page here.']);
      expect(await parser.split({ bytes: short, source: 'short.pdf' })).toEqual(
        await inProcess.split({ bytes: short, source: 'short.pdf' }),
      );
      // A broken file fails as it does whole, and a PDF of no text is empty, not an error of a part.
      expect(await codeOf(parser.split({ bytes: Buffer.from('%PDF-1.7 broken'), source: 'b.pdf' }))).toBe(
        'corrupt_file',
      );
      expect(await codeOf(parser.split({ bytes: await makePdf(['', '', '']), source: 'blank.pdf' }))).toBe(
        'empty_document',
      );
    },
  );

  it('a process stopped while its answer was on its way is never handed the next file', async () => {
    const parser = sandbox({ processes: 1 });
    await parser.split({ bytes: Buffer.from('# Warm\n\nLoads the tokenizer.'), source: 'warm.md' });
    for (let round = 0; round < 5; round++) {
      // Cancelled as chunking begins: a tiny file's chunks are already on their way, and arrive after the
      // kill. Were its process taken back into the pool, the next file would die with it (worker_crashed).
      const controller = new AbortController();
      const onParsed = (): void => controller.abort(new Error('cancelled as chunking began'));
      await codeOf(
        parser.split(
          { bytes: Buffer.from(`# Round ${round}\n\nCancelled.`), source: 'c.md' },
          { signal: controller.signal, onParsed },
        ),
      );
      expect(await codeOf(parser.split({ bytes: Buffer.from(`# Round ${round}\n\nNext.`), source: 'n.md' }))).toBe(
        'no error',
      );
    }
  });

  it('a cancel stops every part of a PDF read in parts', async () => {
    const parser = sandbox({ processes: 2, splitPdfAboveBytes: 1 });
    const pdf = await makePdf(Array.from({ length: 3000 }, (_, p) => `Page ${p + 1} of a long book.`));
    const controller = new AbortController();
    const work = parser.split({ bytes: pdf, source: 'long.pdf' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled by the test')), 100);
    const started = performance.now();
    await expect(work).rejects.toThrow('cancelled by the test');
    // Each part would read for about 2.5 s more.
    expect(performance.now() - started).toBeLessThan(2000);
    // Both processes are free again at once: the next file does not wait for a part still reading.
    const t0 = performance.now();
    const next = await Promise.all([
      parser.split({ bytes: Buffer.from('# A\n\nNext.'), source: 'a.md' }),
      parser.split({ bytes: Buffer.from('# B\n\nNext.'), source: 'b.md' }),
    ]);
    expect(next.map((n) => n.chunks.length)).toEqual([1, 1]);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a file that needs more heap than the limit costs one parse process, not this one; files queued behind it parse', async () => {
    const parser = sandbox({ maxHeapMb: 48, processes: 1 });
    // A first file loads the tokenizer into the process. With it loaded, JSON.parse of the next file
    // overruns the heap in one large allocation, which V8 answers by ending the whole process: in a
    // worker thread, that was this test's process.
    const warm = await parser.split({ bytes: Buffer.from('# Warm\n\nA first file, chunked.'), source: 'warm.md' });
    expect(warm.chunks).toHaveLength(1);
    const [crashed, next] = await Promise.allSettled([
      parser.split({ bytes: heapHungryJson(2_000_000), source: 'huge.json' }),
      parser.split({ bytes: Buffer.from('# Still here\n\nThe pool replaced its process.'), source: 'next.md' }),
    ]);
    const error = crashed.status === 'rejected' ? (crashed.reason as unknown) : undefined;
    expect(isSluiceError(error) && error.code).toBe('worker_crashed');
    expect(isSluiceError(error) && error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/48 MiB heap limit/);
    expect(next.status === 'fulfilled' && next.value.chunks[0]?.text).toContain('The pool replaced its process.');
  });

  it('a PDF that needs more memory than the heap limit fails with its own code, and the next file still parses', async () => {
    const parser = sandbox({ maxHeapMb: 48, processes: 1 });
    // PDFium's WebAssembly memory is not the JavaScript heap, so the parser bounds it by the same limit
    // (48 MiB old space and 4 MiB semi-spaces: 60 MiB in all). A file of 64 MiB cannot be read under it.
    const pdf = await makePdf(['A cover page.'], { attachmentBytes: 64 * 1024 * 1024 });
    const error: unknown = await parser.split({ bytes: pdf, source: 'vast.pdf' }).catch((thrown: unknown) => thrown);
    expect(isSluiceError(error) && error.code).toBe('file_too_large');
    expect((error as Error).message).toMatch(/60 MiB of memory/);
    const next = await parser.split({ bytes: await makePdf(['A PDF of one page.']), source: 'small.pdf' });
    expect(next.chunks[0]?.text).toContain('A PDF of one page.');
  });

  it('fails a document nested too deep at once and for good, its code crossing from the parse process', async () => {
    const parser = sandbox({ processes: 1 });
    const json = Buffer.from(`${'['.repeat(100_000)}1${']'.repeat(100_000)}`);
    const error: unknown = await parser.split({ bytes: json, source: 'deep.json' }).catch((thrown: unknown) => thrown);
    expect(isSluiceError(error) && error.code).toBe('document_too_complex');
    expect(isSluiceError(error) && error.retryable).toBe(false);
    const paragraph = '<w:p><w:r><w:t>deep</w:t></w:r></w:p>';
    const docx = makeDocxFromBody(
      `${'<w:tbl><w:tr><w:tc>'.repeat(5000)}${paragraph}${'</w:tc></w:tr></w:tbl>'.repeat(5000)}`,
    );
    expect(await codeOf(parser.split({ bytes: docx, source: 'tables.docx' }))).toBe('document_too_complex');
    // The process that failed them reads the next file.
    expect(
      (await parser.split({ bytes: Buffer.from('# Next\n\nStill here.'), source: 'next.md' })).chunks,
    ).toHaveLength(1);
  });

  it('parses HTML nested 200,000 deep well within the time limit', async () => {
    const parser = sandbox({ processes: 1, parseTimeoutMs: 10_000 });
    const html = Buffer.from(`<html><body>${'<div>'.repeat(200_000)}deep${'</div>'.repeat(200_000)}</body></html>`);
    const { chunks } = await parser.split({ bytes: html, source: 'nested.html' });
    expect(chunks.map((chunk) => chunk.text)).toEqual(['deep']);
  });

  it('stops a parse stuck in one synchronous step at the time limit, while the main thread stays free', async () => {
    const parser = sandbox({ parseTimeoutMs: 100, processes: 1 });
    const bytes = heapHungryJson(1_500_000);
    const started = performance.now();
    const work = parser.split({ bytes, source: 'slow.json' });
    const [code, gap] = await Promise.all([codeOf(work), maxEventLoopGap(work)]);
    const elapsed = performance.now() - started;
    expect(code).toBe('parse_timeout');
    // Stopped at the limit plus the grace for a process to end by itself, not when the parse finished.
    expect(elapsed).toBeLessThan(100 + 1000 + 1500);
    // JSON.parse of this file blocks whatever thread runs it for a long while; here it is not this one's.
    expect(gap).toBeLessThan(250);
  });

  it('the time limit counts from when a process starts the file, not while it waits for one', async () => {
    // Each file takes well under the limit in each step (about 0.4 s to parse and 0.8 s to chunk here, a few
    // times that while the rest of the suite loads the machine); ten of them queue for 12 s or more: timed
    // from the call, the last ones would be stopped.
    const parser = sandbox({ parseTimeoutMs: 5000, processes: 1 });
    const files = Array.from({ length: 10 }, () => heapHungryJson(150_000));
    const results = await Promise.all(files.map((bytes, i) => parser.split({ bytes, source: `${i}.json` })));
    expect(results.every((r) => r.chunks.at(-1)?.text.includes('n: 149999'))).toBe(true);
  });

  it('a cancel stops the parse at once', async () => {
    const parser = sandbox({ processes: 1 });
    const controller = new AbortController();
    const work = parser.split({ bytes: heapHungryJson(1_500_000), source: 'slow.json' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled by the test')), 50);
    const started = performance.now();
    await expect(work).rejects.toThrow('cancelled by the test');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('chunks in the parse process: the main thread stays free while a large text is tokenised, and told when chunking begins', async () => {
    const parser = sandbox({ processes: 1 });
    const text = Array.from(
      { length: 20_000 },
      (_, i) => `Sentence ${i} says something about ingestion and retrieval.`,
    ).join(' ');
    let parsedAt = 0;
    const work = parser.split(
      { bytes: Buffer.from(text), source: 'big.txt' },
      { onParsed: () => (parsedAt = performance.now()) },
    );
    const gap = await maxEventLoopGap(work);
    const doneAt = performance.now();
    const { chunks } = await work;
    expect(chunks.length).toBeGreaterThan(100);
    expect(
      chunks.every((c) => c.tokenCount <= chunker.maxTokens && text.slice(c.charStart, c.charEnd) === c.text),
    ).toBe(true);
    expect(parsedAt).toBeGreaterThan(0);
    expect(parsedAt).toBeLessThan(doneAt);
    expect(gap).toBeLessThan(250);
  });

  it('chunking has its own time limit, counted from the end of parsing', async () => {
    // Decoding this text takes a small part of the limit; chunking it (about 2 s here) several times it.
    const parser = sandbox({ processes: 1, parseTimeoutMs: 200 });
    const text = Array.from(
      { length: 300_000 },
      (_, i) => `Sentence ${i} says something about ingestion and retrieval.`,
    ).join(' ');
    const work = parser.split({ bytes: Buffer.from(text), source: 'big.txt' });
    await expect(work).rejects.toThrow(/Chunking took longer than 200 ms/);
    expect(await codeOf(work)).toBe('parse_timeout');
  });

  it.runIf(process.platform === 'linux')(
    'an idle process exits after the idle time, a busy one never; the next file starts a new one',
    async () => {
      const parser = sandbox({ processes: 1, idleTimeoutMs: 300 });
      const before = new Set(childPids());
      await parser.split({ bytes: Buffer.from('# One\n\nA first file.'), source: 'one.md' });
      const started = childPids().filter((pid) => !before.has(pid));
      expect(started).toHaveLength(1);
      // Taken again at once, and busy for longer than the idle time: the same process finishes it.
      // About 1 s of chunking here: well past the idle time even on a fast machine (60,000 sentences once took 295 ms).
      const text = Array.from(
        { length: 150_000 },
        (_, i) => `Sentence ${i} says something about ingestion and retrieval.`,
      ).join(' ');
      const t0 = performance.now();
      const { chunks } = await parser.split({ bytes: Buffer.from(text), source: 'big.txt' });
      expect(performance.now() - t0).toBeGreaterThan(300);
      expect(chunks.length).toBeGreaterThan(100);
      expect(childPids()).toContain(started[0]);
      await sleep(1000);
      expect(childPids()).not.toContain(started[0]);
      const again = await parser.split({ bytes: Buffer.from('# Two\n\nA second file.'), source: 'two.md' });
      expect(again.chunks).toHaveLength(1);
      expect(childPids().filter((pid) => !before.has(pid) && pid !== started[0])).toHaveLength(1);
    },
  );
});
