import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Metadata } from './types.js';
import type { UploadFile } from './upload-body.js';

/**
 * A file on disk as an upload: a Blob backed by the file, read only while it is sent (and read again
 * if the upload is retried), never held in memory whole.
 */
export async function fileFromPath(
  path: string,
  options: { name?: string; metadata?: Metadata } = {},
): Promise<UploadFile> {
  // Node's own error says "Unable to open file as blob", without the path or why.
  const reason = await stat(path).then(
    (s) => (s.isFile() ? undefined : 'not a file'),
    (e: NodeJS.ErrnoException) => e.code ?? e.message,
  );
  if (reason) {
    throw new Error(`Cannot upload ${path}: ${reason}`);
  }
  const data = await openAsBlob(path);
  return {
    name: options.name ?? basename(path),
    data,
    ...(options.metadata ? { metadata: options.metadata } : {}),
  };
}
