import { parseMetadata, parseMetadataJson, type DocumentMetadata } from '../core/document-metadata.js';
import { SluiceError } from '../core/errors.js';
import { sanitizeFilename } from './sanitize-filename.js';

/**
 * The metadata form fields of an upload: `metadata`, a JSON object for every file of the request, and
 * `file_metadata`, a JSON object of objects keyed by file name (as sent, or as stored) for single
 * files, merged over the first. Either may come before or after the files.
 */
export function createUploadMetadata() {
  let shared: DocumentMetadata | undefined;
  let perFile: Map<string, DocumentMetadata> | undefined;
  return {
    /** Takes a form field if it is one of these; false for any other field. */
    read(name: string | undefined, value: unknown): boolean {
      if (name !== 'metadata' && name !== 'file_metadata') {
        return false;
      }
      if ((name === 'metadata' ? shared : perFile) !== undefined) {
        throw new SluiceError('invalid_input', `The form field ${name} is sent more than once`);
      }
      // A part sent as application/json arrives parsed; any other, as text.
      if (name === 'metadata') {
        shared = typeof value === 'string' ? parseMetadataJson(value, 'metadata field') : parseMetadata(value);
        return true;
      }
      let parsed: unknown = value;
      if (typeof value === 'string') {
        try {
          parsed = JSON.parse(value);
        } catch {
          throw new SluiceError('invalid_input', 'The file_metadata field is not valid JSON');
        }
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new SluiceError('invalid_input', 'The file_metadata field must be a JSON object keyed by file name');
      }
      perFile = new Map(Object.entries(parsed).map(([file, fields]) => [file, parseMetadata(fields)]));
      return true;
    },
    /** Sets each file's metadata; a name in `file_metadata` that no file has is an error, not a silent no-op. */
    attach(files: { source: string; metadata?: DocumentMetadata }[], sentNames: readonly string[]): void {
      const unused = new Set(perFile?.keys());
      files.forEach((file, i) => {
        const sent = sentNames[i] ?? file.source;
        const own = perFile?.get(sent) ?? perFile?.get(file.source);
        unused.delete(sent);
        unused.delete(file.source);
        if (shared || own) {
          file.metadata = parseMetadata({ ...shared, ...own });
        }
      });
      if (unused.size > 0) {
        const name = [...unused][0] as string;
        throw new SluiceError(
          'invalid_input',
          `file_metadata names "${sanitizeFilename(name)}", which is no file of this request`,
        );
      }
    },
  };
}
