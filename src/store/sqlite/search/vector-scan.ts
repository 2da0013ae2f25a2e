import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { ScoredChunk } from './chunk-hits.js';
import { nearestAmong, nearestRowsAmong } from './scoped-nearest.js';
import { VectorLayoutError } from './vec0-blocks.js';

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

/** The statements a scan needs, on the search connection. */
export interface VectorScanSource {
  /**
   * Every searchable vector of the collection (none that a publish in progress has staged), in one
   * read: from sqlite-vec's blocks of vectors where it can, else row by row.
   */
  all(collectionId: string, vectors: string): Iterable<{ rowid: number | bigint; embedding: Buffer }>;
  /** The same, read row by row through the virtual table: where reading the blocks failed. */
  allRowByRow(collectionId: string, vectors: string): Iterable<{ rowid: number | bigint; embedding: Buffer }>;
  /** How many searchable vectors the collection has, as the store counts its chunks. */
  count(collectionId: string): number;
  /** One vector, or undefined where the chunk is gone. */
  one(vectors: string, rowid: number): Buffer | undefined;
  /** The latest change recorded, 0 before the first. */
  head(): number;
  /** The oldest change still recorded (older ones are pruned), or undefined if none is. */
  oldest(): number | undefined;
  /** Chunks of the collection whose vector was written or removed after change `after`, up to `upTo`. */
  changed(collectionId: string, after: number, upTo: number): number[];
  /** Runs `work` in one read transaction: a snapshot, so a load and its change number agree. */
  snapshot<T>(work: () => T): T;
}

/** A collection's vectors as int8 rows in memory, kept in step with the file through the change log. */
interface Scan {
  dimension: number;
  /** `capacity` rows of `dimension` int8s; rows `[0, size)` are in use. */
  rows: Int8Array;
  /** The chunk rowid of each row. */
  rowids: Float64Array;
  /** Row of each chunk rowid. */
  rowOf: Map<number, number>;
  size: number;
  /** The change this scan has read up to. */
  seen: number;
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
  const { budgetBytes, oversample = 2, minCandidates = 40 } = options;
  /** Threads a scan runs on; without a setting, chosen on the first large scan (see `fastestThreads`). */
  let threads = options.threads;
  /** Loaded collections, least recently searched first. */
  const scans = new Map<string, Scan>();
  /** Collections that did not fit the budget alone: searched with sqlite-vec until the process restarts. */
  const tooLarge = new Set<string>();

  const load = (collectionId: string, vectors: string, dimension: number): Scan | undefined =>
    source.snapshot(() => {
      scans.delete(collectionId);
      // Sized for the rows there and some growth, within the budget, so that loading a large collection
      // does not copy it as it doubles; one that cannot fit is left to sqlite-vec before it is read.
      const expected = source.count(collectionId);
      if (expected > rowsWithin(budgetBytes, dimension)) {
        return giveUp(collectionId);
      }
      const capacity = Math.min(
        Math.max(1024, Math.ceil(expected * 1.05)),
        Math.floor((budgetBytes - expected * rowMapBytes) / (dimension + 8)),
      );
      const scan: Scan = {
        dimension,
        rows: new Int8Array(capacity * dimension),
        rowids: new Float64Array(capacity),
        rowOf: new Map(),
        size: 0,
        seen: source.head(),
      };
      const fill = (stored: Iterable<{ rowid: number | bigint; embedding: Buffer }>): boolean => {
        for (const { rowid, embedding } of stored) {
          if (embedding.byteLength !== dimension * 4) {
            throw new VectorLayoutError(
              `a vector of ${embedding.byteLength} bytes in ${vectors}, not ${dimension * 4}`,
            );
          }
          if (!put(scan, Number(rowid), embedding, budgetBytes) || bytesOf(scan) > budgetBytes) {
            return false;
          }
        }
        return true;
      };
      let filled: boolean;
      try {
        filled = fill(source.all(collectionId, vectors));
      } catch (error) {
        // sqlite-vec's blocks not as this version reads them: the same rows, read one at a time.
        if (!(error instanceof VectorLayoutError)) {
          throw error;
        }
        scan.size = 0;
        scan.rowOf.clear();
        filled = fill(source.allRowByRow(collectionId, vectors));
      }
      if (!filled) {
        return giveUp(collectionId);
      }
      scans.set(collectionId, scan);
      return scan;
    });

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

/** Bytes of the row map (`rowOf`) for each chunk in a scan, about. */
const rowMapBytes = 64;

/** What a scan of `capacity` rows holding `size` chunks takes: its matrix and row ids as allocated, and its row map. */
const bytesFor = (capacity: number, size: number, dimension: number): number =>
  capacity * (dimension + 8) + size * rowMapBytes;

/** The most chunks a scan can hold within `budget`, every row of its matrix in use. */
const rowsWithin = (budget: number, dimension: number): number => Math.floor(budget / (dimension + 8 + rowMapBytes));

function bytesOf(scan: Scan): number {
  return bytesFor(scan.rowids.length, scan.size, scan.dimension);
}

/**
 * Writes a chunk's vector into its row, or a new row at the end, growing the matrix when full: twice
 * as large, or as large as `budget` allows. False when it is full and the budget allows no more.
 */
function put(scan: Scan, rowid: number, embedding: Buffer, budget: number): boolean {
  let row = scan.rowOf.get(rowid);
  if (row === undefined) {
    if (scan.size === scan.rowids.length) {
      const capacity = Math.min(scan.rowids.length * 2, rowsWithin(budget, scan.dimension));
      if (capacity <= scan.size) {
        return false;
      }
      const rows = new Int8Array(capacity * scan.dimension);
      rows.set(scan.rows);
      const rowids = new Float64Array(capacity);
      rowids.set(scan.rowids);
      scan.rows = rows;
      scan.rowids = rowids;
    }
    row = scan.size++;
    scan.rowOf.set(rowid, row);
    scan.rowids[row] = rowid;
  }
  quantize(asFloats(embedding), scan.rows.subarray(row * scan.dimension, (row + 1) * scan.dimension));
  return true;
}

/** Takes a chunk's row out, moving the last row into its place, so rows `[0, size)` stay dense. */
function remove(scan: Scan, rowid: number): void {
  const row = scan.rowOf.get(rowid);
  if (row === undefined) {
    return;
  }
  const last = --scan.size;
  scan.rowOf.delete(rowid);
  if (row !== last) {
    const moved = scan.rowids[last] as number;
    scan.rows.copyWithin(row * scan.dimension, last * scan.dimension, (last + 1) * scan.dimension);
    scan.rowids[row] = moved;
    scan.rowOf.set(moved, row);
  }
}

/** A vector's bytes as sqlite-vec stores them (float32, this machine's order), without a copy where aligned. */
function asFloats(embedding: Buffer): Float32Array {
  return embedding.byteOffset % 4 === 0
    ? new Float32Array(embedding.buffer, embedding.byteOffset, embedding.byteLength / 4)
    : new Float32Array(new Uint8Array(embedding).buffer);
}

/**
 * Scales a vector so its largest component is ±127 and rounds it: the direction, in one byte a
 * component. Written into `out` (a row of the matrix, when loading: no array for each vector).
 */
export function quantize(vector: Float32Array, out: Int8Array = new Int8Array(vector.length)): Int8Array {
  let largest = 0;
  // An indexed loop: `for…of` over a typed array is several times slower, and a load quantizes every vector.
  for (let i = 0; i < vector.length; i++) {
    largest = Math.max(largest, Math.abs(vector[i] as number));
  }
  if (largest === 0 || !Number.isFinite(largest)) {
    return out.fill(0);
  }
  const scale = 127 / largest;
  for (let i = 0; i < vector.length; i++) {
    // Math.round's own path is branchy on signs that vary from one component to the next: the floor of
    // x + 0.5 rounds the same (x ≤ 127 here) several times faster, and a load quantizes every vector.
    out[i] = Math.floor((vector[i] as number) * scale + 0.5);
  }
  return out;
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
