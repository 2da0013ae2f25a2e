import type { SourceObject } from './object-source.js';

/** How long a running scan may go unheard of before it counts as interrupted (its process is gone). */
export const scanSilenceMs = 60_000;

/** What one scan of a source did, kept with the source while it runs and after. */
export interface ScanReport {
  id: string;
  batchId: string;
  /** The process running it (`<host>/<pid>`). */
  runner: string;
  /** `interrupted`: the process running it stopped before it finished. */
  state: 'running' | 'done' | 'failed' | 'interrupted';
  startedAt: string;
  finishedAt: string | null;
  /** Objects listed under the prefix. */
  listed: number;
  /** Listed objects the include and exclude patterns leave in. */
  matched: number;
  /** Matched objects with the version already ingested: not read again. */
  unchanged: number;
  /** New or changed objects read and recorded as documents of the scan's batch. */
  ingested: number;
  /** Documents removed because their objects are gone (`prune`). */
  pruned: number;
  /** Objects that could not be read now; their documents stay as they were, and the next scan reads them again. */
  failed: number;
  /** The first of them, and why. */
  failures: { key: string; code: string; message: string }[];
  error: { code: string; message: string } | null;
}

export interface SourceRecord {
  id: string;
  collectionId: string;
  type: 's3';
  url: string;
  /** Glob patterns an object's key (below the prefix) must match one of; none: every object. */
  include: string[];
  /** Glob patterns that leave an object out, even if included. */
  exclude: string[];
  createdAt: string;
  /** The running or last scan. */
  scan: ScanReport | null;
}

export interface CreateSourceInput {
  collectionId: string;
  type: 's3';
  url: string;
  include: string[];
  exclude: string[];
}

/** Sources documents are scanned from, and the version of each object their documents hold. */
export interface SourceStore {
  /** The collection's source of that address, created if new (its patterns set to these either way); `created` says which. */
  ensureSource(input: CreateSourceInput): Promise<{ source: SourceRecord; created: boolean }>;
  getSource(id: string): Promise<SourceRecord | undefined>;
  listSources(collectionId: string): Promise<SourceRecord[]>;
  /** Removes the source and what it knew of its objects; their documents stay. */
  deleteSource(id: string): Promise<boolean>;
  /**
   * Starts a scan if none runs: none does if the last one finished, was last heard of before
   * `staleBefore`, or is the scan `replacing` names (its process is known to be gone). False if one runs.
   */
  claimScan(sourceId: string, report: ScanReport, staleBefore: Date, replacing?: string): Promise<boolean>;
  /** Records how the scan stands (and that it is alive); false if another scan has taken over. */
  updateScan(sourceId: string, report: ScanReport): Promise<boolean>;
  /**
   * Of these listed objects, the keys whose document holds the same version (ETag, size and time),
   * marking them seen by the scan; the others must be read.
   */
  unchangedObjects(sourceId: string, scanId: string, objects: readonly SourceObject[]): Promise<Set<string>>;
  /** Records the version of an object that `documentId` now holds, seen by the scan. */
  recordObject(sourceId: string, scanId: string, object: SourceObject, documentId: string): Promise<void>;
  /** Marks an object seen by the scan, its recorded version kept (it could not be read this time). */
  seeObject(sourceId: string, scanId: string, key: string): Promise<void>;
  /** Up to `limit` objects recorded before and not seen by the scan: gone from the source. */
  unseenObjects(sourceId: string, scanId: string, limit: number): Promise<{ key: string; documentId: string }[]>;
  /** The document an object's recorded version is held by, if any. */
  objectDocument(sourceId: string, key: string): Promise<string | undefined>;
  /**
   * Objects seen by the scan whose documents are skipped copies of `documentId`: removing it removes
   * them, and their objects must be read again.
   */
  seenCopiesOf(sourceId: string, scanId: string, documentId: string): Promise<SourceObject[]>;
  /** Forgets an object (its document is being removed, or was). */
  forgetObject(sourceId: string, key: string): Promise<void>;
}
