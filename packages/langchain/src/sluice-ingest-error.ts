/** One document of an upload that Sluice did not index whole. */
export interface IngestFailure {
  /** Its file name in Sluice. */
  name: string;
  /** Its Sluice document id; undefined when the server refused the file before storing it. */
  documentId: string | undefined;
  /** `failed`, `cancelled`, `completed_with_errors` (some chunks missing), or `refused`. */
  state: string;
  /** Sluice's error code, e.g. `unsupported_media_type`. */
  code: string;
  message: string;
}

/**
 * Some documents of an upload were not indexed whole. The others were, and stay: their ids are in
 * `documentIds`, in the order of the documents given.
 */
export class SluiceIngestError extends Error {
  readonly failures: IngestFailure[];
  /** The Sluice document id of each document given (undefined for one the server refused). */
  readonly documentIds: (string | undefined)[];

  constructor(failures: IngestFailure[], documentIds: (string | undefined)[]) {
    const listed = failures.map((f) => `${f.name}: ${f.state} (${f.code}: ${f.message})`).join('; ');
    super(`${failures.length} of ${documentIds.length} documents were not indexed in Sluice: ${listed}`);
    this.name = 'SluiceIngestError';
    this.failures = failures;
    this.documentIds = documentIds;
  }
}
