export interface StoredBlob {
  key: string;
  sha256: string;
  sizeBytes: number;
}

/** Bytes received and hashed, not yet stored under their key. */
export interface StagedBlob {
  sha256: string;
  sizeBytes: number;
  /** Stores the bytes under their SHA-256; afterwards `discard` does nothing. */
  commit(): Promise<StoredBlob>;
  /** Removes what was received. @remarks must be safe to call more than once, and after `commit`. */
  discard(): Promise<void>;
}

/** A stored blob as the store lists it. */
export interface BlobEntry {
  key: string;
  sizeBytes: number;
}

/** A count of files and their bytes. */
export interface FileTally {
  files: number;
  bytes: number;
}

/** Raw files, content-addressed. */
export interface BlobStore {
  /**
   * Streams the bytes in, hashing as they pass, without storing them under a key yet: a request can
   * receive all its files and still refuse them all, leaving nothing behind.
   * @remarks throws `file_too_large` past `maxBytes`; on any error (the stream's too) it leaves nothing
   * behind and has released every descriptor before it rejects.
   */
  stage(stream: AsyncIterable<Uint8Array>, maxBytes: number): Promise<StagedBlob>;
  /** `stage` then `commit`. */
  put(stream: AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredBlob>;
  /** The whole blob; undefined if absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every stored blob, in no particular order (including one a removal was interrupted in). */
  list(): AsyncIterable<BlobEntry>;
  /**
   * Removes the blob if `stillUnused()`, asked once no new reader can find it, answers true; otherwise
   * puts it back. Whether it removed it.
   * @remarks Must be safe against a concurrent `commit` of the same bytes (it must survive), and
   * against a crash at any point: a blob a removal was interrupted in is still found by `get` and
   * `list`, and removing it again finishes the job.
   */
  remove(key: string, stillUnused: () => Promise<boolean>): Promise<boolean>;
  /**
   * Removes staged files that no running upload will commit or discard: those of processes of this
   * host that are gone, and any untouched for `maxAgeMs`; and puts back what removals that a crash cut
   * off had set aside (no removal may come again for a file that is in use).
   */
  sweepStaging(maxAgeMs: number): Promise<FileTally>;
  /** Answers when the store can be read and written; throws otherwise (for readiness). */
  ping(): Promise<void>;
  /** Bytes and count of stored blobs and of staged files, read from the store now. */
  usage(): Promise<{ blobs: FileTally; staging: FileTally }>;
}
