import { SluiceError } from '../core/errors.js';
import { sniffUtf16 } from './sniff-utf16.js';
import { withoutControls } from './without-controls.js';

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/**
 * How text bytes are encoded, and how many bytes of BOM open them: UTF-8 or UTF-16 as a BOM says; else
 * UTF-16 when the bytes have its shape (`sniffUtf16`: Windows tools write it without a BOM); else UTF-8.
 */
export function textEncodingOf(bytes: Uint8Array): { encoding: TextEncoding; bomBytes: number } {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { encoding: 'utf-16le', bomBytes: 2 };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { encoding: 'utf-16be', bomBytes: 2 };
  }
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { encoding: 'utf-8', bomBytes: 3 };
  }
  return { encoding: sniffUtf16(bytes) ?? 'utf-8', bomBytes: 0 };
}

/**
 * Decodes text bytes in the encoding `textEncodingOf` finds. Bytes that are not valid in it are refused
 * with `unsupported_encoding` rather than guessed, so no mojibake reaches the index; control characters
 * are dropped (`withoutControls`).
 */
export function decodeText(bytes: Uint8Array): string {
  const { encoding, bomBytes } = textEncodingOf(bytes);
  return withoutControls(decode(encoding, bytes.subarray(bomBytes)));
}

function decode(encoding: TextEncoding, bytes: Uint8Array): string {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new SluiceError('unsupported_encoding', `The file is not valid ${encoding.toUpperCase()} text`, {
      cause: error,
    });
  }
}
