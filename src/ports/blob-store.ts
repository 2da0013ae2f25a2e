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
  delete(key: string): Promise<void>;
}
