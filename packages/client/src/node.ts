import { openAsBlob } from 'node:fs';
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
  return {
    name: options.name ?? basename(path),
    data: await openAsBlob(path),
    ...(options.metadata ? { metadata: options.metadata } : {}),
  };
}
