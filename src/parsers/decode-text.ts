import { SluiceError } from '../core/errors.js';

/**
 * Decodes text bytes: UTF-8 (with or without BOM), or UTF-16 when a BOM says so. Anything else is
 * refused with `unsupported_encoding` rather than guessed, so no mojibake reaches the index.
 */
export function decodeText(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return decode('utf-16le', bytes.subarray(2));
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return decode('utf-16be', bytes.subarray(2));
  }
  const withoutBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  return decode('utf-8', withoutBom);
}

function decode(encoding: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new SluiceError('unsupported_encoding', `The file is not valid ${encoding.toUpperCase()} text`, { cause: error });
  }
}
