import Database from 'better-sqlite3';

/**
 * How much of the file each search connection maps. Mapped pages count in the process's RSS, and
 * searches map more of a large file as they go, so each maps what its searches read often: the
 * text-search thread's connection, the posting lists it walks whole; the vector search's, where the
 * vectors are scanned in memory, only the few it rescores and the hits' text; where sqlite-vec scans
 * every float instead (`SLUICE_VECTOR_SCAN_MB=0`), as much as before. The sizes were chosen by
 * `npm run bench:scale` (BENCH.md).
 */
export const searchMmapBytes = {
  text: 512 * 1024 * 1024,
  vectors: 256 * 1024 * 1024,
  floats: 1024 * 1024 * 1024,
} as const;

/**
 * A read-only connection for searches, which reads the file through mmap (`mmapBytes` of it): posting
 * lists and vectors come straight from the page cache instead of being copied page by page into
 * SQLite's, and sqlite-vec's kNN scan is faster (`bench/query-latency.js`, measured in BENCH.md). Mapped
 * pages are the kernel's page cache, reclaimed under pressure; kept off the writing connection, they
 * stay out of an ingest's memory, which touches far more of the file than it searches. WAL lets it
 * read every committed write at once.
 */
export function openSearchConnection(path: string, mmapBytes: number): Database.Database {
  const search = new Database(path, { readonly: true });
  search.pragma('busy_timeout = 10000');
  search.pragma(`mmap_size = ${Math.floor(mmapBytes)}`);
  return search;
}

/** An in-memory database has one connection only: searches share the writing one. */
export const isInMemory = (path: string): boolean => path === ':memory:' || path === '';
