import { describe, expect, it } from 'vitest';
import { sniffUtf16 } from './sniff-utf16.js';

const utf16be = (text: string): Buffer => Buffer.from(text, 'utf16le').swap16();
const english = 'Queues retry failed jobs with backoff.\r\nEach chunk keeps its page.\r\n'.repeat(20);

describe('sniffUtf16', () => {
  it('finds the byte order of UTF-16 text without a BOM', () => {
    expect(sniffUtf16(Buffer.from(english, 'utf16le'))).toBe('utf-16le');
    expect(sniffUtf16(utf16be(english))).toBe('utf-16be');
    // Latin-1 letters, Cyrillic and Greek words between ASCII spaces and punctuation, a few CJK characters.
    const mixed = 'Grüße aus Köln. Привет, как дела? Καλημέρα κόσμε! 数据 一 and more plain words.\n'.repeat(20);
    expect(sniffUtf16(Buffer.from(mixed, 'utf16le'))).toBe('utf-16le');
    expect(sniffUtf16(utf16be(mixed))).toBe('utf-16be');
    // Cut inside a surrogate pair by the end of the sample (the first 32,768 code units): still text.
    expect(sniffUtf16(Buffer.from(`${'word '.repeat(6553)}ab🙂 and more`, 'utf16le'))).toBe('utf-16le');
  });

  it('leaves UTF-8 text and binary data alone', () => {
    expect(sniffUtf16(Buffer.from(english))).toBeUndefined();
    expect(sniffUtf16(Buffer.from('Grüße aus Köln, 数据'))).toBeUndefined();
    // Random bytes: zeros on both sides, as often.
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
    expect(sniffUtf16(random)).toBeUndefined();
    // Small 16-bit numbers (a table, raw audio): zero high bytes, but control characters in the low ones.
    const samples = Buffer.alloc(8192);
    for (let i = 0; i < samples.length / 2; i++) {
      samples.writeInt16LE(Math.round(200 * Math.sin(i / 7)), i * 2);
    }
    expect(sniffUtf16(samples)).toBeUndefined();
    // UTF-32: three zeros in every four bytes, on both sides.
    const utf32 = Buffer.alloc(english.length * 4);
    [...english].forEach((char, i) => utf32.writeUInt32LE(char.codePointAt(0) as number, i * 4));
    expect(sniffUtf16(utf32)).toBeUndefined();
    // A PNG's start: its chunk lengths have zeros at both parities.
    const png = Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0, 0, 0, 1, 0, 8, 6,
      0, 0, 0,
    ]);
    expect(sniffUtf16(png)).toBeUndefined();
    // An unpaired surrogate is not text.
    const lone = Buffer.from(english, 'utf16le');
    lone.writeUInt16LE(0xd800, 100);
    expect(sniffUtf16(lone)).toBeUndefined();
    expect(sniffUtf16(Buffer.from([0x61, 0x00]))).toBeUndefined();
  });
});
