/** How much of a file's start decides whether it is UTF-16 without a BOM. */
const sampleBytes = 64 * 1024;

/**
 * The byte order of UTF-16 text that has no BOM, told from the text's shape; `undefined` for anything
 * else. Every character up to U+00FF (Latin letters, digits, spaces, punctuation, line ends) has a zero
 * high byte, and hardly any character a zero low byte: for UTF-16LE, zeros at odd offsets; for UTF-16BE,
 * at even ones. A binary file has zeros on both sides, or decodes to control characters that no text
 * holds, and is left alone.
 */
export function sniffUtf16(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  const sample = bytes.subarray(0, Math.min(bytes.length, sampleBytes) & ~1);
  // Most files are UTF-8, with no NUL at all: the native search answers them at once.
  if (sample.length < 4 || sample.indexOf(0) < 0) {
    return undefined;
  }
  const { even, odd } = zerosByParity(sample);
  const units = sample.length / 2;
  const encoding = mostlyOneSide(odd, even, units)
    ? 'utf-16le'
    : mostlyOneSide(even, odd, units)
      ? 'utf-16be'
      : undefined;
  return encoding !== undefined && decodesAsText(sample, encoding) ? encoding : undefined;
}

/** Zero bytes at even and at odd offsets. An indexed loop: every text file of an ingest may pass here. */
function zerosByParity(sample: Uint8Array): { even: number; odd: number } {
  let even = 0;
  let odd = 0;
  for (let i = 0; i < sample.length; i += 2) {
    if (sample[i] === 0) {
      even++;
    }
    if (sample[i + 1] === 0) {
      odd++;
    }
  }
  return { even, odd };
}

/**
 * Whether an eighth of the code units or more have a zero high byte (the spaces and punctuation of
 * Cyrillic or Greek text are enough) and hardly any a zero low byte (a few CJK characters such as U+4E00
 * have one). Text with almost no character below U+0100, all CJK say, is not guessed.
 */
function mostlyOneSide(highZeros: number, lowZeros: number, units: number): boolean {
  return highZeros * 8 >= units && lowZeros * 64 <= units;
}

/**
 * Whether the sample decodes without an unpaired surrogate and with almost no control characters: C0
 * other than tabs, line ends, form feeds and terminal escapes, and C1, which text encoded as UTF-16 never
 * uses, but small 16-bit numbers (a table, raw audio) are full of.
 */
function decodesAsText(sample: Uint8Array, encoding: 'utf-16le' | 'utf-16be'): boolean {
  let text: string;
  try {
    // Streaming: the sample may end inside a surrogate pair.
    text = new TextDecoder(encoding, { fatal: true }).decode(sample, { stream: true });
  } catch {
    return false;
  }
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 32 && (code < 9 || (code > 13 && code !== 27))) || (code >= 0x7f && code <= 0x9f)) {
      controls++;
    }
  }
  return controls * 50 <= text.length;
}
