import { openSync, readSync, closeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSluiceError, type ErrorCode } from '../../src/core/errors.js';
import { createDocumentParser } from '../../src/parsers/create-document-parser.js';
import { encryptPdf, makeDocx, makeDocxZipBomb, makePdf } from '../helpers/make-files.js';

const parser = createDocumentParser({ maxFileBytes: 20 * 1024 * 1024, parseTimeoutMs: 30_000 });
const parse = (bytes: Uint8Array | string, source: string) =>
  parser.parse({ bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes, source });

async function failureCode(bytes: Uint8Array | string, source: string): Promise<ErrorCode | undefined> {
  try {
    await parse(bytes, source);
    return undefined;
  } catch (error) {
    if (!isSluiceError(error)) {
      throw error;
    }
    return error.code;
  }
}

describe('document parser', () => {
  it('reads PDF text page by page and knows where each page starts', async () => {
    const pdf = await makePdf(['Alpha page about retrieval.', 'Beta page about ingestion.', 'Gamma page.']);
    const parsed = await parse(pdf, 'report.bin');
    expect(parsed.mediaType).toBe('application/pdf');
    expect(parsed.pageStarts).toHaveLength(3);
    const second = parsed.text.slice(parsed.pageStarts![1], parsed.pageStarts![2]);
    expect(second).toContain('Beta page about ingestion.');
    expect(parsed.text.slice(0, parsed.pageStarts![1])).toContain('Alpha page');
  });

  it('takes a PDF outline entry for a heading where its page shows the title, and no line starting with #', async () => {
    const pdf = await makePdf(
      [
        'Introduction\nThis manual explains the tools.\n# a comment line, not a heading',
        'Some text before.\n2.1 Installing Packages\nRun the installer as root.\n2.2 Removing packages\nRun it again.',
        'A page no entry points at.',
      ],
      {
        outline: [
          { title: 'Introduction', page: 0 },
          { title: '2.1  Installing  packages', page: 1 },
          { title: '2.2 Removing packages', page: 1 },
          { title: 'A title the page does not show', page: 1 },
        ],
      },
    );
    const parsed = await parse(pdf, 'manual.pdf');
    const lines = parsed.headings!.map((at) => parsed.text.slice(at).split('\n')[0]);
    expect(lines).toEqual(['Introduction', '2.1 Installing Packages', '2.2 Removing packages']);
    // Without an outline, a PDF marks no heading.
    expect((await parse(await makePdf(['# Not a heading\ntext']), 'plain.pdf')).headings ?? []).toEqual([]);
  });

  it('ends PDF lines with LF and mends a word hyphenated across two lines', async () => {
    const parsed = await parse(
      await makePdf(['Queues retry failed pack-\nages with backoff.\nSecond line.']),
      'lines.pdf',
    );
    expect(parsed.text).not.toContain('\r');
    expect(parsed.text).toContain('packages with backoff.\nSecond line.');
  });

  it('reads DOCX with its headings as structure', async () => {
    const docx = await makeDocx('Installation', ['Run the installer.', 'Then restart.']);
    const parsed = await parse(docx, 'guide.docx');
    expect(parsed.mediaType).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(parsed.text).toMatch(/^# Installation/);
    expect(parsed.text).toContain('Run the installer.');
  });

  it('keeps only the visible text of HTML, headings as Markdown headings', async () => {
    const html = `<!DOCTYPE html><html><head><title>Guide</title><style>p{color:red}</style></head>
      <body><script>var secret = 1;</script><h2>Install &amp; run</h2><p>First   paragraph.</p><ul><li>one</li><li>two</li></ul></body></html>`;
    const parsed = await parse(html, 'page.txt');
    expect(parsed.mediaType).toBe('text/html');
    expect(parsed.title).toBe('Guide');
    expect(parsed.text).toContain('## Install & run');
    expect(parsed.text).toContain('First paragraph.');
    expect(parsed.text).toContain('- one');
    expect(parsed.text).not.toContain('secret');
    expect(parsed.text).not.toContain('color');
  });

  it('marks where HTML headings start, and no # line of a <pre> as one', async () => {
    const html = `<html><body><nav><a href="/">Home</a></nav><h1>Hardening</h1><p>Edit the file:</p>
      <pre># sshd_config\nPort 22\n# no passwords\nPasswordAuthentication no</pre><h2>Check</h2><p>Log in again.</p></body></html>`;
    const parsed = await parse(html, 'page.html');
    expect(parsed.headings?.map((at) => parsed.text.slice(at, at + 8))).toEqual(['# Harden', '## Check']);
    expect(parsed.text).toContain('# sshd_config\nPort 22\n# no passwords');
    expect(parsed.text).not.toContain('\u0001');
  });

  it('marks Markdown headings outside code, and drops control characters from every text format', async () => {
    const md = await parse('# Title\n\n```\n# comment\n```\n\n## Next\u0007\n', 'notes.md');
    expect(md.headings?.map((at) => md.text.slice(at, at + 7))).toEqual(['# Title', '## Next']);
    expect(md.text).not.toContain('\u0007');
    const text = await parse('Page one\fPage two\u0008 with a backspace\u0085 and a C1 control', 'notes.txt');
    expect(text.text).toBe('Page one\nPage two with a backspace and a C1 control');
    expect(text.headings).toBeUndefined();
    const html = await parse('<p>Bell\u0007 &#1;char</p>', 'page.html');
    expect(html.text).toBe('Bell char');
  });

  it('refuses text that is not prose (SVG, XPM, style sheets, source maps) unless told to index it', async () => {
    const svg =
      '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><path d="M0.118975,2.423832 L3,4"/></svg>';
    const files: [string, string][] = [
      [svg, 'logo.svg'],
      [svg, 'logo.txt'],
      ['/* XPM */\nstatic char * icon[] = {"16 16 2 1", ". c #000000"};', 'icon.txt'],
      ['.navheader { float: left; }\nbody { margin: 0 }', 'common.css'],
      ['{"version":3,"sources":["a.ts"],"mappings":"AAAA,SAAS"}', 'app.js.map'],
    ];
    for (const [content, name] of files) {
      await expect(parse(content, name), name).rejects.toMatchObject({
        code: 'unsupported_media_type',
        message: expect.stringMatching(/not prose/),
      });
    }
    const lenient = createDocumentParser({ maxFileBytes: 1 << 20, parseTimeoutMs: 30_000, nonProse: true });
    const parsed = await lenient.parse({ bytes: new TextEncoder().encode(svg), source: 'logo.svg' });
    expect(parsed.mediaType).toBe('text/plain');
  });

  it('takes a config file of # comments for text, not Markdown', async () => {
    const conf = await parse('# sshd_config\nPort 22\n# no passwords\nPasswordAuthentication no\n', 'sshd_config.conf');
    expect(conf.mediaType).toBe('text/plain');
    expect(conf.headings).toBeUndefined();
  });

  it('reads Markdown, text, CSV and JSON', async () => {
    expect((await parse('# Title\n\nBody text.', 'notes')).mediaType).toBe('text/markdown');
    expect((await parse('Just some words.', 'notes.txt')).text).toBe('Just some words.');
    const csv = await parse('name;city\nAda;London\nGrace;New York\n', 'people.csv');
    expect(csv.text).toBe('name: Ada; city: London\nname: Grace; city: New York');
    const json = await parse('{"service":{"name":"sluice","ports":[8080]}}', 'config.json');
    expect(json.text).toBe('service.name: sluice\nservice.ports[0]: 8080');
    const lines = await parse('{"a":1}\n{"a":2}\n', 'rows.jsonl');
    expect(lines.text).toContain('a: 2');
  });

  it('reads UTF-16 text with a BOM and UTF-8 with a BOM', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße aus Köln', 'utf16le')]);
    expect((await parse(utf16, 'greeting.txt')).text).toBe('Grüße aus Köln');
    expect((await parse(Buffer.from('\uFEFFhello', 'utf8'), 'a.txt')).text).toBe('hello');
  });

  it('reads UTF-16 text without a BOM, in either byte order and any text format', async () => {
    const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();
    const text = 'Grüße aus Köln.\nQueues retry failed jobs with backoff.\n';
    expect((await parse(Buffer.from(text, 'utf16le'), 'greeting.txt')).text).toBe(text);
    expect((await parse(utf16be(text), 'greeting.txt')).text).toBe(text);
    const html = await parse(
      Buffer.from('<html><body><h1>Install</h1><p>Run it.</p></body></html>', 'utf16le'),
      'page.htm',
    );
    expect(html.mediaType).toBe('text/html');
    expect(html.text).toBe('# Install\n\nRun it.');
    expect((await parse(utf16be('{"service":{"name":"sluice"}}'), 'config.json')).text).toBe('service.name: sluice');
    expect((await parse(Buffer.from('name,city\nAda,London\n', 'utf16le'), 'people.csv')).text).toBe(
      'name: Ada; city: London',
    );
    // The shape of UTF-16, but a byte short of it: not text in any encoding Sluice reads.
    expect(await failureCode(Buffer.concat([Buffer.from(text, 'utf16le'), Buffer.from([0x41])]), 'odd.txt')).toBe(
      'unsupported_encoding',
    );
  });

  it('never takes a binary file for UTF-16 text', async () => {
    expect((await parse(await makePdf(['A page.']), 'doc.txt')).mediaType).toBe('application/pdf');
    // The start of this process's own executable (ELF here, Mach-O or PE elsewhere).
    const executable = Buffer.alloc(64 * 1024);
    const fd = openSync(process.execPath, 'r');
    readSync(fd, executable, 0, executable.length, 0);
    closeSync(fd);
    expect(await failureCode(executable, 'program.txt')).toBe('unsupported_media_type');
    const jpeg = Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
      0x00,
    ]);
    expect(await failureCode(jpeg, 'photo.txt')).toBe('unsupported_media_type');
    // Raw 16-bit audio of a quiet tone: zero high bytes, as in UTF-16, and control characters in the low ones.
    const samples = Buffer.alloc(16 * 1024);
    for (let i = 0; i < samples.length / 2; i++) {
      samples.writeInt16LE(Math.round(200 * Math.sin(i / 7)), i * 2);
    }
    expect(await failureCode(samples, 'tone.raw')).toBe('unsupported_media_type');
    const wide = [...'UTF-32 text is not UTF-16 text. '.repeat(4)];
    const utf32 = Buffer.alloc(wide.length * 4);
    wide.forEach((char, i) => utf32.writeUInt32LE(char.codePointAt(0) as number, i * 4));
    expect(await failureCode(utf32, 'wide.txt')).toBe('unsupported_media_type');
  });

  it('fails bad input with a stable code', async () => {
    const pdf = await makePdf(['Some page text that will be cut off.']);
    expect(await failureCode(pdf.subarray(0, Math.floor(pdf.length / 3)), 'cut.pdf')).toBe('corrupt_file');
    expect(await failureCode(await encryptPdf(pdf, 'secret'), 'locked.pdf')).toBe('encrypted_file');
    expect(await failureCode(Buffer.alloc(0), 'zero.txt')).toBe('empty_document');
    expect(await failureCode('   \n\n  ', 'blank.txt')).toBe('empty_document');
    expect(
      await failureCode(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'image.txt'),
    ).toBe('unsupported_media_type');
    expect(await failureCode(Buffer.from([0x00, 0x01, 0x02, 0x03, 0xff, 0x00, 0x10]), 'blob.txt')).toBe(
      'unsupported_media_type',
    );
    // No NUL, but more than one byte in ten a control character that text does not use.
    expect(await failureCode(Buffer.from('\x01\x02\x03 some words \x04\x05\x06\x07\x10\x11'), 'controls.txt')).toBe(
      'unsupported_media_type',
    );
    // Tabs, line ends, form feeds and terminal escapes are text.
    expect(await failureCode('one\ttwo\r\nthree\x0cfour \x1b[1mbold\x1b[0m\x0b', 'controls-ok.txt')).toBeUndefined();
    expect(await failureCode(Buffer.from([0x48, 0x69, 0x20, 0xc3, 0x28, 0x20, 0xa0, 0xa1]), 'latin.txt')).toBe(
      'unsupported_encoding',
    );
    expect(await failureCode('{"unterminated": ', 'broken.json')).toBe('corrupt_file');
    expect(await failureCode(Buffer.alloc(21 * 1024 * 1024, 0x61), 'big.txt')).toBe('file_too_large');
  });

  it('gives up on a parse that takes longer than the limit', async () => {
    const slow = createDocumentParser({ maxFileBytes: 1e7, parseTimeoutMs: 1 });
    const pdf = await makePdf(Array.from({ length: 30 }, (_, i) => `Page ${i} of a document that takes a while.`));
    await expect(slow.parse({ bytes: pdf, source: 'slow.pdf' })).rejects.toMatchObject({ code: 'parse_timeout' });
  });

  it('refuses a DOCX zip bomb before inflating it', async () => {
    const bomb = makeDocxZipBomb(120 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    expect(await failureCode(bomb, 'bomb.docx')).toBe('archive_too_large');
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });
});
