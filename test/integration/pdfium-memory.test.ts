import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { makePdf } from '../helpers/make-files.js';

const dist = (module: string): string => new URL(`../../dist/parsers/${module}`, import.meta.url).href;

/**
 * A fresh process reads the PDF at argv[1], then asks for the dropped reader's memory back; prints the
 * process's memory outside the JavaScript heap (WebAssembly memory counts there) after each step.
 */
const readThenCollect = `
const { parsePdf } = await import(${JSON.stringify(dist('pdf-parser.js'))});
const { collectReleasedMemory } = await import(${JSON.stringify(dist('collect-released-memory.js'))});
const { readFileSync } = await import('node:fs');
const parsed = await parsePdf(readFileSync(process.argv[1]));
const afterRead = process.memoryUsage().external;
await collectReleasedMemory();
console.log(JSON.stringify({ text: parsed.text, afterRead, afterCollect: process.memoryUsage().external }));
`;

async function run(
  pdfPath: string,
  flags: string[],
): Promise<{ text: string; afterRead: number; afterCollect: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    ...flags,
    '--input-type=module',
    '-e',
    readThenCollect,
    pdfPath,
  ]);
  return JSON.parse(stdout) as { text: string; afterRead: number; afterCollect: number };
}

describe('memory of a large PDF', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pdfium-memory-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a parse process gives back the reader of a large PDF once read, before its text is chunked', async () => {
    // 40 MiB attached: PDFium's memory grows past what an instance is kept for, so it is dropped.
    const path = join(dir, 'large.pdf');
    writeFileSync(path, await makePdf(['The one page of text.'], { attachmentBytes: 40 * 1024 * 1024 }));
    const mib = 1024 * 1024;
    // As a parse process runs: collections may be forced, and the memory goes back at once.
    const collected = await run(path, ['--expose-gc']);
    expect(collected.text).toContain('The one page of text.');
    expect(collected.afterRead).toBeGreaterThan(40 * mib);
    expect(collected.afterRead - collected.afterCollect).toBeGreaterThan(40 * mib);
    // Where collections cannot be forced, nothing is done here, and the memory stays until V8 collects.
    const left = await run(path, []);
    expect(left.afterRead - left.afterCollect).toBeLessThan(8 * mib);
  }, 60_000);
});
