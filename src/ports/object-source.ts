/** One object of a listed source, as the listing gives it: its version is its ETag, size and modification time. */
export interface SourceObject {
  key: string;
  etag: string;
  sizeBytes: number;
  /** ISO time. */
  lastModified: string;
}

/** A place documents are read from where they live (a bucket prefix), listed a page at a time. */
export interface ObjectSource {
  /** The source's address: `s3://bucket/prefix/`. */
  readonly url: string;
  /** The prefix its keys begin with ('' or ending in `/`): patterns match the rest of a key. */
  readonly prefix: string;
  /** The address of one object, which names its document. */
  nameOf(key: string): string;
  /**
   * The objects under the prefix, one page (at most about a thousand) at a time, so that no listing is
   * held whole. Folder markers (keys ending in `/`) are left out.
   */
  pages(signal?: AbortSignal): AsyncIterable<SourceObject[]>;
  /**
   * The object's bytes as they are now, with the version they are (a version newer than the listing's
   * if it changed since); undefined if it is gone. The body must be consumed or destroyed.
   */
  open(
    key: string,
    signal?: AbortSignal,
  ): Promise<{ body: AsyncIterable<Uint8Array>; version: SourceObject } | undefined>;
  /** Answers when the source can be listed; throws the store's error otherwise. */
  ping(): Promise<void>;
  /** Lets go of its connections. */
  close(): void;
}
