import mammoth from 'mammoth';
import yauzl from 'yauzl';
import { SluiceError } from '../core/errors.js';
import type { ParsedDocument } from '../core/types.js';
import { htmlToText } from './html-to-text.js';
import { mediaTypes } from './sniff-media-type.js';

export interface DocxLimits {
  /** Most bytes the archive may expand to. */
  maxExpandedBytes: number;
}

// A real DOCX compresses text perhaps 10:1; a thousandfold ratio is a bomb, not a document.
const maxRatio = 200;

/**
 * Text of a DOCX through mammoth (to HTML, so headings survive as structure). The archive's directory
 * is checked first: mammoth inflates entries whole in memory, so a zip bomb must be refused before.
 */
export async function parseDocx(bytes: Uint8Array, limits: DocxLimits): Promise<ParsedDocument> {
  await assertSafeArchive(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), limits);
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) }))
      .value;
  } catch (error) {
    throw readError(error);
  }
  const { text, title } = htmlToText(html);
  return title ? { text, title, mediaType: mediaTypes.docx } : { text, mediaType: mediaTypes.docx };
}

/**
 * What mammoth's failure means. It turns the XML into a tree and the tree into HTML by recursion, so
 * elements nested some thousands deep overflow the call stack: that file is too complex, not damaged,
 * and no attempt will read it. Everything else it fails on is a file it cannot read.
 */
function readError(error: unknown): SluiceError {
  if (error instanceof RangeError) {
    return new SluiceError('document_too_complex', `The DOCX nests too deep to read: ${error.message}`, {
      cause: error,
    });
  }
  return new SluiceError(
    'corrupt_file',
    `The DOCX cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

function assertSafeArchive(buffer: Buffer, limits: DocxLimits): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true }, (openError, zip) => {
      if (openError) {
        reject(
          new SluiceError('corrupt_file', `The DOCX is not a valid archive: ${openError.message}`, {
            cause: openError,
          }),
        );
        return;
      }
      let expanded = 0;
      zip.on('entry', (entry: yauzl.Entry) => {
        expanded += entry.uncompressedSize;
        const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
        if (expanded > limits.maxExpandedBytes || (entry.uncompressedSize > 1024 * 1024 && ratio > maxRatio)) {
          zip.close();
          reject(
            new SluiceError(
              'archive_too_large',
              `The DOCX expands to more than allowed (entry ${entry.fileName}: ${entry.uncompressedSize} bytes from ${entry.compressedSize})`,
            ),
          );
          return;
        }
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', (error: Error) =>
        reject(new SluiceError('corrupt_file', `The DOCX is not a valid archive: ${error.message}`, { cause: error })),
      );
      zip.readEntry();
    });
  });
}
