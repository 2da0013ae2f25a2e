export interface StoredBlob {
  key: string;
  sha256: string;
  sizeBytes: number;
}

/** Raw files, content-addressed. */
export interface BlobStore {
  /**
   * Streams the bytes in, hashing as they pass, and stores them under their SHA-256.
   * @remarks throws `file_too_large` past `maxBytes` and leaves nothing behind.
   */
  put(stream: AsyncIterable<Uint8Array>, maxBytes: number): Promise<StoredBlob>;
  /** The whole blob; undefined if absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<void>;
}
