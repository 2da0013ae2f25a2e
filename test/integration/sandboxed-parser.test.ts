import { afterAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../src/core/errors.js';
import { createDocumentParser } from '../../src/parsers/create-document-parser.js';
import { createSandboxedParser } from '../../src/parsers/sandboxed-parser.js';
import { heapHungryJson, makePdf } from '../helpers/make-files.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const limits = { maxFileBytes: 200 * 1024 * 1024, parseTimeoutMs: 30_000 };

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

describe('sandboxed parser (worker threads)', () => {
  const sandboxes: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(sandboxes.map((s) => s.close()));
  });
  const sandbox = (options: Partial<typeof limits> & { maxHeapMb?: number; threads?: number } = {}) => {
    const parser = createSandboxedParser({ ...limits, threads: 2, maxHeapMb: 256, logger: silent, ...options });
    sandboxes.push(parser);
    return parser;
  };

  it('gives the same result as parsing in-process, codes included', async () => {
    const parser = sandbox();
    const pdf = await makePdf(['Alpha page about retrieval.', 'Beta page about ingestion.']);
    const inProcess = createDocumentParser(limits);
    expect(await parser.parse({ bytes: pdf, source: 'a.pdf' })).toEqual(await inProcess.parse({ bytes: pdf, source: 'a.pdf' }));
    const html = Buffer.from('<html><head><title>T</title></head><body><p>Hello <b>there</b></p></body></html>');
    expect(await parser.parse({ bytes: html, source: 'x.html' })).toEqual(await inProcess.parse({ bytes: html, source: 'x.html' }));
    expect(await codeOf(parser.parse({ bytes: Buffer.from('%PDF-1.7 broken'), source: 'b.pdf' }))).toBe('corrupt_file');
    // The caller's buffer is not taken from it.
    expect(pdf.byteLength).toBeGreaterThan(0);
  });

  it('a file that needs more heap than the limit costs one thread, not the process; files queued behind it parse', async () => {
    const parser = sandbox({ maxHeapMb: 48, threads: 1 });
    const [crashed, next] = await Promise.allSettled([
      parser.parse({ bytes: heapHungryJson(2_000_000), source: 'huge.json' }),
      parser.parse({ bytes: Buffer.from('# Still here\n\nThe pool replaced its thread.'), source: 'next.md' }),
    ]);
    const error = crashed.status === 'rejected' ? (crashed.reason as unknown) : undefined;
    expect(isSluiceError(error) && error.code).toBe('worker_crashed');
    expect(isSluiceError(error) && error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/48 MiB heap limit/);
    expect(next.status === 'fulfilled' && next.value.text).toContain('The pool replaced its thread.');
  });

  it('stops a parse stuck in one synchronous step at the time limit, while the main thread stays free', async () => {
    const parser = sandbox({ parseTimeoutMs: 100, threads: 1 });
    const bytes = heapHungryJson(1_500_000);
    const started = performance.now();
    const work = parser.parse({ bytes, source: 'slow.json' });
    const [code, gap] = await Promise.all([codeOf(work), maxEventLoopGap(work)]);
    const elapsed = performance.now() - started;
    expect(code).toBe('parse_timeout');
    // Stopped at the limit plus the grace for a thread to end by itself, not when the parse finished.
    expect(elapsed).toBeLessThan(100 + 1000 + 1500);
    // JSON.parse of this file blocks whatever thread runs it for a long while; here it is not this one.
    expect(gap).toBeLessThan(250);
  });

  it('the time limit counts from when a thread starts the file, not while it waits for one', async () => {
    // Each file takes well under the limit (about 0.7 s here), six of them in a row well over it plus
    // the grace: timed from the call, the last ones would be stopped.
    const parser = sandbox({ parseTimeoutMs: 2000, threads: 1 });
    const files = Array.from({ length: 6 }, () => heapHungryJson(300_000));
    const results = await Promise.all(files.map((bytes, i) => parser.parse({ bytes, source: `${i}.json` })));
    expect(results.every((r) => r.text.includes('n: 299999'))).toBe(true);
  });

  it('a cancel stops the parse at once', async () => {
    const parser = sandbox({ threads: 1 });
    const controller = new AbortController();
    const work = parser.parse({ bytes: heapHungryJson(1_500_000), source: 'slow.json' }, controller.signal);
    setTimeout(() => controller.abort(new Error('cancelled by the test')), 50);
    const started = performance.now();
    await expect(work).rejects.toThrow('cancelled by the test');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
