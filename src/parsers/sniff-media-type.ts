import { fileTypeFromBuffer } from 'file-type';
import { SluiceError } from '../core/errors.js';
import { textEncodingOf, type TextEncoding } from './decode-text.js';
import { mediaTypes, type MediaType } from './media-types.js';

export { mediaTypes, type MediaType } from './media-types.js';

const sniffBytes = 64 * 1024;

/**
 * Decides the format by content: magic bytes first (file-type), then, for text, what the text looks
 * like. The file name only breaks ties between text formats that content cannot tell apart (a CSV
 * and a plain list, Markdown and prose); it never makes a binary file text.
 */
export async function sniffMediaType(
  bytes: Uint8Array,
  source: string,
  options: { nonProse?: boolean } = {},
): Promise<MediaType> {
  const head = bytes.subarray(0, sniffBytes);
  // A UTF-16 BOM can read as the magic of an audio format; the BOM is the stronger claim.
  if (hasUtf16Bom(head)) {
    return sniffTextFormat(head, extensionOf(source), textEncodingOf(head).encoding, options);
  }
  const detected = await fileTypeFromBuffer(head.length < bytes.length ? bytes : head);
  if (detected) {
    if (detected.mime === mediaTypes.pdf) {
      return mediaTypes.pdf;
    }
    if (detected.mime === mediaTypes.docx) {
      return mediaTypes.docx;
    }
    // XML is text, and file-type knows it; every other detected type is a binary format we do not read.
    if (detected.mime !== 'application/xml') {
      throw new SluiceError(
        'unsupported_media_type',
        `Files of type ${detected.mime} (.${detected.ext}) are not supported`,
      );
    }
  }
  // After the magic bytes: UTF-16 without a BOM has NULs, which would make it look binary.
  const { encoding } = textEncodingOf(head);
  if (encoding === 'utf-8' && looksBinary(head)) {
    throw new SluiceError('unsupported_media_type', 'The file is binary and of no supported format');
  }
  return sniffTextFormat(head, extensionOf(source), encoding, options);
}

function hasUtf16Bom(head: Uint8Array): boolean {
  return head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff));
}

/**
 * Whether the head holds a NUL or more than 10 % control bytes. An indexed loop: iterating a
 * Uint8Array with `for…of` took many times as long here (measured in BENCH.md), and every text file of
 * an ingest passes through here.
 */
function looksBinary(head: Uint8Array): boolean {
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const byte = head[i] as number;
    if (byte < 32) {
      if (byte === 0) {
        return true;
      }
      if (byte < 8 || (byte > 13 && byte !== 27)) {
        control++;
      }
    }
  }
  return head.length > 0 && control / head.length > 0.1;
}

/**
 * Text that is not prose: image markup, style sheets, source maps. Indexed, it fills the index with
 * path data and selectors that match queries by accident. What it is, if it is one.
 */
function nonProseKind(start: string, extension: string): string | undefined {
  if (start.startsWith('<svg') || (start.startsWith('<?xml') && /<svg[\s>]/.test(start)) || extension === '.svg') {
    return 'SVG image markup';
  }
  if (start.startsWith('/* xpm */') || extension === '.xpm') {
    return 'an XPM image';
  }
  if (
    extension === '.map' ||
    (start.startsWith('{') && /"mappings"\s*:/.test(start) && /"version"\s*:\s*3/.test(start))
  ) {
    return 'a source map';
  }
  if (extension === '.css' || extension === '.scss' || extension === '.less') {
    return 'a style sheet';
  }
  return undefined;
}

function sniffTextFormat(
  head: Uint8Array,
  extension: string,
  encoding: TextEncoding,
  options: { nonProse?: boolean },
): MediaType {
  const text = new TextDecoder(encoding).decode(head).replace(/^\uFEFF/, '');
  const start = text.trimStart().slice(0, 512).toLowerCase();
  const kind = nonProseKind(start, extension);
  if (kind) {
    if (options.nonProse === true) {
      return mediaTypes.text;
    }
    throw new SluiceError(
      'unsupported_media_type',
      `The file is ${kind}, not prose, and is not indexed (SLUICE_INDEX_NON_PROSE=true indexes such files as text)`,
    );
  }
  if (
    start.startsWith('<!doctype html') ||
    start.startsWith('<html') ||
    /<(head|body|p|div|h1|h2|title)[\s>]/i.test(start)
  ) {
    return mediaTypes.html;
  }
  if (['.html', '.htm', '.xhtml'].includes(extension) && start.startsWith('<')) {
    return mediaTypes.html;
  }
  if ((start.startsWith('{') || start.startsWith('[')) && ['.json', '.jsonl', '.ndjson', ''].includes(extension)) {
    return mediaTypes.json;
  }
  if (['.csv', '.tsv'].includes(extension)) {
    return mediaTypes.csv;
  }
  // By content only without an extension: a `# comment` opens many a config file or script.
  if (
    ['.md', '.markdown', '.mdx'].includes(extension) ||
    (extension === '' && /^#{1,6} \S/m.test(text.slice(0, 4096)))
  ) {
    return mediaTypes.markdown;
  }
  if (extension === '.json' || extension === '.jsonl') {
    return mediaTypes.json;
  }
  return mediaTypes.text;
}

function extensionOf(source: string): string {
  const name = source.slice(source.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}
