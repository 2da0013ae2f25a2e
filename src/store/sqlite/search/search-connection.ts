import Database from 'better-sqlite3';

/**
 * A read-only connection for searches, which reads the file through mmap: vectors and posting lists
 * come straight from the page cache instead of being copied page by page into SQLite's, and sqlite-vec's
 * kNN scan is faster (`bench/query-latency.js`, measured in BENCH.md). Mapped pages count in a
 * process's RSS (they are the kernel's page cache, reclaimed under pressure); kept off the writing
 * connection, they stay out of an ingest's memory, which touches far more of the file than it searches.
 * WAL lets it read every committed write at once.
 */
export function openSearchConnection(path: string): Database.Database {
  const search = new Database(path, { readonly: true });
  search.pragma('busy_timeout = 10000');
  search.pragma('mmap_size = 1073741824');
  return search;
}

/** An in-memory database has one connection only: searches share the writing one. */
export const isInMemory = (path: string): boolean => path === ':memory:' || path === '';
