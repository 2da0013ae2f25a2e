import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { ScoredChunk } from './chunk-hits.js';
import { nearestAmong, nearestRowsAmong } from './scoped-nearest.js';
import type { VectorLoader } from './vector-load-host.js';
import {
  asFloats,
  bytesOf,
  put,
  quantize,
  readRows,
  remove,
  rowsWithin,
  withRowMap,
  type Scan,
  type VectorScanSource,
} from './vector-matrix.js';

export { quantize, type VectorScanSource } from './vector-matrix.js';

/** USearch's exact (brute-force) search: SIMD distance kernels over a matrix, one row per vector. */
type ExactSearch = (
  dataset: Int8Array,
  query: Int8Array,
  dimensions: number,
  count: number,
  metric: 'cos',
  threads?: number,
) => { keys: BigUint64Array; distances: Float32Array };

/**
 * Loaded synchronously (the store is), and optional: without a prebuilt binary for this platform the
 * store searches with sqlite-vec's scan alone, which gives the same hits, slower.
 */
function loadExactSearch(): ExactSearch | undefined {
  try {
    return (createRequire(import.meta.url)('usearch') as { exactSearch: ExactSearch }).exactSearch;
  } catch {
    return undefined;
  }
}

/**
 * Top-k by cosine without reading every float of every vector from SQLite on each query. sqlite-vec
 * 0.1.9 has only an exact scan, through SQLite's page reads. This keeps each searched collection as an
 * int8 matrix in memory (a vector scaled so its largest component is ±127: cosine does not change with
 * scale), scans it with USearch's SIMD kernels, several times faster (measured in BENCH.md), and
 * rescores the best `oversample` × k candidates (at least 40) with their float vectors from SQLite, so
 * the scores returned are exact and the order is that of the float vectors among them.
 * An approximate graph index (HNSW) was measured and left out: with the `hash` embedder's sparse query
 * vectors, its recall was far too low (BENCH.md).
 *
 * The matrix is built on a collection's first search, and each search first reads the change log that
 * the store's writes append to in their own transactions (`vector_changes`), so writes by other
 * connections and processes (a `sluice worker`, a `sluice ingest` beside `sluice serve`) are seen by
 * the next search. A reader that fell behind the pruned end of the log loads the collection afresh.
 * Memory: about one byte per dimension per chunk, within a budget.
 */
export function createVectorScans(source: VectorScanSource, options: VectorScanOptions) {
  const exactSearch = loadExactSearch();
  const { budgetBytes, oversample = 2, minCandidates = 40, loader, backgroundRows = 20_000 } = options;
  /** Threads a scan runs on; without a setting, chosen on the first large scan (see `fastestThreads`). */
  let threads = options.threads;
  /** Loaded collections, least recently searched first. */
  const scans = new Map<string, Scan>();
  /** Collections that did not fit the budget alone: searched with sqlite-vec until the process restarts. */
  const tooLarge = new Set<string>();

  /** Collections whose copy a load thread is reading, each with the token of its load. */
  const loading = new Map<string, object>();
  /** Load threads still reading, of collections forgotten meanwhile too. */
  let threadsReading = 0;
  /** Collections whose load thread failed: read on this thread from then on. */
  const loadHere = new Set<string>();

  /**
   * Reads a collection's copy, on this thread, or for a collection of `backgroundRows` or more, on a
   * load thread while sqlite-vec answers (undefined until it is in). One that cannot fit is left to
   * sqlite-vec before anything is read.
   */
  const load = (collectionId: string, vectors: string, dimension: number): Scan | undefined => {
    scans.delete(collectionId);
    if (loader && !loadHere.has(collectionId)) {
      const expected = source.count(collectionId);
      if (expected > rowsWithin(budgetBytes, dimension)) {
        return giveUp(collectionId);
      }
      if (expected >= backgroundRows) {
        // One load thread at a time: each holds a whole matrix until it is handed over.
        if (threadsReading === 0) {
          loadElsewhere(loader, collectionId, vectors, dimension);
        }
        return undefined;
      }
    }
    const loaded = readRows(source, collectionId, vectors, dimension, budgetBytes);
    if (!loaded) {
      return giveUp(collectionId);
    }
    const scan = withRowMap(loaded);
    scans.set(collectionId, scan);
    return scan;
  };

  const loadElsewhere = (loader: VectorLoader, collectionId: string, vectors: string, dimension: number): void => {
    const token = {};
    loading.set(collectionId, token);
    threadsReading++;
    const reading = loader.load({ collectionId, vectors, dimension, budgetBytes });
    // Counted until the thread is done, even for a collection forgotten meanwhile.
    reading.then(
      () => threadsReading--,
      () => threadsReading--,
    );
    reading.then(
      (loaded) => {
        if (loading.get(collectionId) !== token) {
          return;
        }
        loading.delete(collectionId);
        if (!loaded) {
          giveUp(collectionId);
          return;
        }
        // Searched next, it catches up with what was written meanwhile through the change log.
        scans.set(collectionId, withRowMap(loaded));
        evict();
      },
      (error: unknown) => {
        if (loading.get(collectionId) === token) {
          loading.delete(collectionId);
          loadHere.add(collectionId);
          options.onLoadFailed?.(error);
        }
      },
    );
  };

  /** Leaves a collection that does not fit the budget alone to sqlite-vec. */
  const giveUp = (collectionId: string): undefined => {
    scans.delete(collectionId);
    tooLarge.add(collectionId);
    return undefined;
  };

  const loadedBytes = (): number => [...scans.values()].reduce((sum, scan) => sum + bytesOf(scan), 0);

  /** Drops the least recently searched collections until those loaded fit the budget. */
  const evict = (): void => {
    let total = loadedBytes();
    for (const [collectionId, scan] of scans) {
      if (total <= budgetBytes || scans.size === 1) {
        return;
      }
      scans.delete(collectionId);
      total -= bytesOf(scan);
    }
  };

  const catchUp = (collectionId: string, vectors: string, scan: Scan): Scan | undefined =>
    source.snapshot(() => {
      const head = source.head();
      if (head === scan.seen) {
        return scan;
      }
      const oldest = source.oldest();
      if (oldest === undefined || oldest > scan.seen + 1) {
        return load(collectionId, vectors, scan.dimension);
      }
      for (const rowid of source.changed(collectionId, scan.seen, head)) {
        const embedding = source.one(vectors, rowid);
        if (embedding) {
          if (!put(scan, rowid, embedding, budgetBytes)) {
            return giveUp(collectionId);
          }
        } else {
          remove(scan, rowid);
        }
      }
      if (bytesOf(scan) > budgetBytes) {
        return giveUp(collectionId);
      }
      scan.seen = head;
      return scan;
    });

  return {
    /**
     * The `k` nearest chunks to `query` by cosine, best first, or undefined when scans are not available.
     * `alongside`: another search (a hybrid query's full text) runs on a thread of its own meanwhile,
     * and the scan leaves it a core.
     */
    search(
      collectionId: string,
      vectors: string,
      query: Float32Array,
      k: number,
      alongside = false,
      allowed?: ReadonlySet<number>,
    ): ScoredChunk[] | undefined {
      if (!exactSearch || budgetBytes <= 0 || tooLarge.has(collectionId)) {
        return undefined;
      }
      if (loading.has(collectionId)) {
        return undefined;
      }
      const known = scans.get(collectionId);
      const scan = known ? catchUp(collectionId, vectors, known) : load(collectionId, vectors, query.length);
      if (!scan) {
        return undefined;
      }
      // Searched last: kept longest.
      scans.delete(collectionId);
      scans.set(collectionId, scan);
      evict();
      if (scan.size === 0 || k <= 0) {
        return [];
      }
      const wanted = Math.min(scan.size, Math.max(k * oversample, minCandidates));
      const rows = scan.rows.subarray(0, scan.size * scan.dimension);
      const quantized = quantize(query);
      if (threads === undefined && scan.size >= calibrationRows) {
        threads = fastestThreads((n) => exactSearch(rows, quantized, scan.dimension, wanted, 'cos', n));
      }
      // Below `calibrationRows`, one thread scans as fast as several.
      const chosen = scan.size < calibrationRows ? 1 : (threads ?? 1);
      const scanAll = (count: number): number[] =>
        Array.from(
          exactSearch(rows, quantized, scan.dimension, count, 'cos', alongside ? Math.max(1, chosen - 1) : chosen).keys,
          (key) => scan.rowids[Number(key)] as number,
        );
      let candidates: number[];
      if (!allowed) {
        candidates = scanAll(wanted);
      } else {
        // A scope that keeps a large share of the rows: the full scan, asked for as many more as the
        // scope thins out; a narrow one (or a broad one that left too few): only the scope's rows.
        const enough = Math.min(wanted, allowed.size);
        const share = allowed.size / scan.size;
        const broad =
          share >= 1 / 8
            ? scanAll(Math.min(scan.size, Math.ceil((2 * wanted) / share))).filter((rowid) => allowed.has(rowid))
            : [];
        candidates =
          broad.length >= enough ? broad.slice(0, wanted) : nearestRowsAmong(scan, quantized, allowed, wanted);
      }
      const hits: ScoredChunk[] = [];
      for (const rowid of candidates) {
        const embedding = source.one(vectors, rowid);
        if (embedding) {
          hits.push({ id: rowid, score: cosine(query, asFloats(embedding)) });
        }
      }
      return hits.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
    },

    /** Forgets a collection (it was deleted). */
    forget(collectionId: string): void {
      scans.delete(collectionId);
      tooLarge.delete(collectionId);
      loading.delete(collectionId);
      loadHere.delete(collectionId);
    },

    /** Stops the loads still running. */
    close: async (): Promise<void> => {
      loading.clear();
      await loader?.close();
    },

    /** Bytes the loaded collections hold. */
    bytes: loadedBytes,
  };
}

export interface VectorScanOptions {
  /**
   * Memory the loaded collections may hold together; the least recently searched go first, and a
   * collection that does not fit alone is searched with sqlite-vec. 0: never load one.
   */
  budgetBytes: number;
  /** Candidates taken from the int8 scan for each hit asked for, to rescore with the floats. @defaultValue 2 */
  oversample?: number;
  /** Fewest candidates rescored. @defaultValue 40 */
  minCandidates?: number;
  /**
   * Threads a scan splits its rows over. @defaultValue the faster of one and the machine's available
   * parallelism, timed on the first scan of at least 10,000 rows (see `fastestThreads`)
   */
  threads?: number;
  /**
   * Reads the copy of a collection of `backgroundRows` chunks or more on a thread of its own, while
   * sqlite-vec answers its searches, so that no search waits seconds for it; without one, every copy is
   * read on the thread that searches.
   */
  loader?: VectorLoader;
  /** @defaultValue 20000 */
  backgroundRows?: number;
  /** Told when a load thread fails; that collection's copy is then read on the searching thread. */
  onLoadFailed?: (error: unknown) => void;
}

/** Scans of fewer rows run on one thread, and the first scan of this many chooses the threads of the rest. */
const calibrationRows = 10_000;

/**
 * Which is faster here, one thread or all: timed three times each, alternating, the best of each kept.
 * It depends on the machine, not on the data: on one machine of 2 cores two threads scanned faster; on
 * another (AVX-512) one thread did, its scan too short for the cost of starting a second thread on an
 * idle core, which USearch does on each call (measured in BENCH.md).
 */
function fastestThreads(scan: (threads: number) => unknown): number {
  const all = availableParallelism();
  if (all === 1) {
    return 1;
  }
  let one = Infinity;
  let several = Infinity;
  for (let round = 0; round < 3; round++) {
    for (const threads of [1, all]) {
      const started = performance.now();
      scan(threads);
      const took = performance.now() - started;
      if (threads === 1) {
        one = Math.min(one, took);
      } else {
        several = Math.min(several, took);
      }
    }
  }
  return several < one ? all : 1;
}

/** Cosine similarity; 0 against a zero vector (sqlite-vec's own scan scores such a pair 1). */
function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/** The `k` chunks among `allowed` nearest `query`, each float vector read from the file: without a scan in memory. */
export function nearestFromFile(
  source: Pick<VectorScanSource, 'one'>,
  vectors: string,
  query: Float32Array,
  allowed: Iterable<number>,
  k: number,
): ScoredChunk[] {
  return nearestAmong(
    (rowid) => {
      const embedding = source.one(vectors, rowid);
      return embedding && asFloats(embedding);
    },
    query,
    allowed,
    k,
    cosine,
  );
}
