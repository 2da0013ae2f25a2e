/** Which documents may be removed with their raw file, chosen by one of these. */
export type BlobScope = { documentId: string } | { collectionId: string } | { tenantId: string };

/**
 * What keeps a raw file from collection: the documents that refer to it (by their content hash, in any
 * collection of any tenant, whatever their state), and holds taken while it is being stored.
 */
export interface BlobReferences {
  /**
   * Keeps blobs from collection from before they are stored under their keys until their documents
   * are recorded; returns the hold's id, which begins with `holder` and a `/`.
   * @remarks A hold whose holder died lapses after `ttlMs`, or once released by whoever knows it died.
   */
  holdBlobs(keys: readonly string[], ttlMs: number, holder: string): Promise<string>;
  releaseBlobHold(holdId: string): Promise<void>;
  /** The ids of the holds that have not lapsed. */
  blobHolds(): Promise<string[]>;
  /** Of `keys`, those that no document refers to and no unexpired hold keeps. */
  unreferencedBlobs(keys: readonly string[]): Promise<string[]>;
  /** The distinct blob keys the documents in scope refer to: read before they are deleted. */
  blobKeysOf(scope: BlobScope): Promise<string[]>;
}
