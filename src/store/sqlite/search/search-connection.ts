import Database from 'better-sqlite3';

/**
 * How much of the file each search connection maps. The text-search thread's reads posting lists,
 * which a search walks whole: 512 MiB maps all of a file of 100,000 chunks. The vector scan reads
 * its copy from memory, and its connection only the few vectors it rescores and the hits' text. Mapped
 * pages count in the process's RSS, and searches map more of a larger file as they go: at a million
 * chunks, 1 GiB for each connection made up most of the serving process's RSS, with no search faster
 * for it than with these (BENCH.md).
 */
export const searchMmapBytes = { text: 512 * 1024 * 1024, vectors: 256 * 1024 * 1024 } as const;

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
