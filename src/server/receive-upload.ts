import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { SluiceError, type ErrorCode } from '../core/errors.js';
import type { BlobStore, StagedBlob } from '../ports/blob-store.js';
import type { DocumentMetadata } from '../core/document-metadata.js';
import { boundaryOf, createMultipartScan } from './multipart-scan.js';
import { createUploadMetadata } from './upload-metadata.js';
import { sanitizeFilename } from './sanitize-filename.js';

/** A file part received in full (not yet stored under its key), or one refused on its own. */
export type UploadedFile = { source: string; sizeBytes: number; metadata?: DocumentMetadata } & (
  { staged: StagedBlob } | { refused: { code: ErrorCode; message: string } }
);

/** A part that is not a file Sluice can take: listed in the answer, never recorded. */
export interface RefusedPart {
  part: number;
  name: string | null;
  code: ErrorCode;
  detail: string;
}

export interface ReceivedUpload {
  files: UploadedFile[];
  refused: RefusedPart[];
  /** Removes every staged file not yet committed. */
  discard(): Promise<void>;
}

/** The largest form field read: room for `file_metadata` of a request's files (see `metadataLimits`). */
export const fieldBytes = 1024 * 1024;

export interface UploadLimits {
  maxFileBytes: number;
  maxRequestBytes: number;
  maxUploadFiles: number;
}

/**
 * Reads every part of a multipart upload, staging each file in the blob store as it arrives. A file
 * over the per-file limit is refused alone and the request goes on; anything that refuses the whole
 * request (a malformed or cut-off body, too many files, too many bytes) discards what was staged
 * before it throws, so nothing is left behind.
 */
export async function receiveUpload(
  request: FastifyRequest,
  blobs: BlobStore,
  limits: UploadLimits,
): Promise<ReceivedUpload> {
  const files: UploadedFile[] = [];
  const names: string[] = [];
  /** Every form field, in order; `taken`: a metadata field, read rather than refused. */
  const fields: { part: number; name: string | null; taken: boolean }[] = [];
  const metadata = createUploadMetadata();
  const discard = async (): Promise<void> => {
    await Promise.all(files.flatMap((file) => ('staged' in file ? [file.staged.discard()] : [])));
  };
  const scan = createMultipartScan(boundaryOf(request.headers['content-type']));
  let total = 0;
  try {
    const iterator = request.parts()[Symbol.asyncIterator]();
    // The first call sets up the parser's pipe; the scan listens beside it from then on.
    const first = iterator.next();
    request.raw.on('data', scan.push);
    for (let next = await first; !next.done; next = await iterator.next()) {
      const part = next.value;
      const index = files.length + fields.length;
      if (part.type === 'field') {
        if (part.valueTruncated) {
          throw new SluiceError('invalid_input', `The form field ${part.fieldname} is larger than ${fieldBytes} bytes`);
        }
        const taken = metadata.read(part.fieldname, part.value);
        fields.push({ part: index, name: part.fieldname ?? null, taken });
        continue;
      }
      const file = await receiveFile(part, blobs, limits.maxFileBytes);
      files.push(file);
      names.push(part.filename);
      total += file.sizeBytes;
      if (total > limits.maxRequestBytes) {
        throw new SluiceError('request_too_large', `The request is over ${limits.maxRequestBytes} bytes`);
      }
    }
    metadata.attach(files, names);
  } catch (error) {
    await discard();
    throw translate(error, limits);
  } finally {
    request.raw.off('data', scan.push);
  }
  return { files, refused: refusedParts(scan.parts(), fields, files.length), discard };
}

async function receiveFile(
  part: Multipart & { type: 'file' },
  blobs: BlobStore,
  maxFileBytes: number,
): Promise<UploadedFile> {
  const source = sanitizeFilename(part.filename);
  // The parser cuts a file at one byte past the limit and skips the rest of it, so the file fails
  // alone: the stream ends normally and the next parts are still read.
  const staged = await blobs.stage(part.file, maxFileBytes + 1);
  if (part.file.truncated || staged.sizeBytes > maxFileBytes) {
    await staged.discard();
    const message = `The file is larger than the limit of ${maxFileBytes} bytes`;
    return { source, sizeBytes: staged.sizeBytes, refused: { code: 'file_too_large', message } };
  }
  return { source, sizeBytes: staged.sizeBytes, staged };
}

/** Form fields and parts the parser dropped, in the order the client sent them. */
function refusedParts(
  scanned: ReturnType<ReturnType<typeof createMultipartScan>['parts']>,
  fields: { part: number; name: string | null; taken: boolean }[],
  fileCount: number,
): RefusedPart[] {
  const refused: RefusedPart[] = [];
  const unreadable = scanned.filter((p) => p.unreadable);
  // Indexes from the parser's events count only the parts it read; the scan's count every part.
  const readIndexes = scanned.filter((p) => !p.unreadable).map((p) => p.index);
  for (const field of fields.filter((f) => !f.taken)) {
    refused.push({
      part: readIndexes[field.part] ?? field.part,
      name: field.name,
      code: 'invalid_part',
      detail: 'A form field, not a file: send each file as a part with a filename',
    });
  }
  for (const part of unreadable) {
    refused.push({
      part: part.index,
      name: part.label?.replace(/[\r\n]/g, ' ') ?? null,
      code: 'invalid_part',
      detail: part.unreadable ?? '',
    });
  }
  const unaccounted = scanned.length - unreadable.length - fields.length - fileCount;
  if (unaccounted > 0) {
    refused.push({ part: -1, name: null, code: 'invalid_part', detail: `${unaccounted} part(s) could not be read` });
  }
  return refused.sort((a, b) => a.part - b.part);
}

function translate(error: unknown, limits: UploadLimits): SluiceError {
  if (error instanceof SluiceError) {
    return error;
  }
  const code = (error as { code?: string }).code;
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return new SluiceError('too_many_files', `At most ${limits.maxUploadFiles} files per request`, { cause: error });
  }
  if (code === 'FST_FIELDS_LIMIT') {
    return new SluiceError('invalid_multipart', 'Too many form fields: send files only', { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SluiceError('invalid_multipart', `The upload was cut off or malformed: ${message}`, { cause: error });
}
