import { VectorLayoutError } from './vec0-blocks.js';

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

/** A collection's vectors as int8 rows, as a load reads them (on this thread or another). */
export interface VectorRows {
  dimension: number;
  /** `capacity` rows of `dimension` int8s; rows `[0, size)` are in use. */
  rows: Int8Array;
  /** The chunk rowid of each row. */
  rowids: Float64Array;
  size: number;
  /** The change this copy has read up to. */
  seen: number;
}

/** A loaded collection, kept in step with the file through the change log. */
export interface Scan extends VectorRows {
  /** Row of each chunk rowid. */
  rowOf: Map<number, number>;
}

/** Bytes of the row map (`rowOf`) for each chunk in a scan, about. */
const rowMapBytes = 64;

/** What a scan of `capacity` rows holding `size` chunks takes: its matrix and row ids as allocated, and its row map. */
const bytesFor = (capacity: number, size: number, dimension: number): number =>
  capacity * (dimension + 8) + size * rowMapBytes;

/** The most chunks a scan can hold within `budget`, every row of its matrix in use. */
export const rowsWithin = (budget: number, dimension: number): number =>
  Math.floor(budget / (dimension + 8 + rowMapBytes));

export function bytesOf(scan: VectorRows): number {
  return bytesFor(scan.rowids.length, scan.size, scan.dimension);
}

/**
 * Reads every searchable vector of a collection into int8 rows, in a snapshot of the file, sized from
 * the collection's chunk counter before anything is read: undefined when they cannot fit in `budget`.
 * The row map is left to `withRowMap`, on the thread that searches.
 */
export function readRows(
  source: VectorScanSource,
  collectionId: string,
  vectors: string,
  dimension: number,
  budget: number,
): VectorRows | undefined {
  return source.snapshot(() => {
    const expected = source.count(collectionId);
    if (expected > rowsWithin(budget, dimension)) {
      return undefined;
    }
    // Sized for the rows there and some growth, within the budget, so that loading a large collection
    // does not copy it as it doubles.
    const capacity = Math.min(
      Math.max(1024, Math.ceil(expected * 1.05)),
      Math.floor((budget - expected * rowMapBytes) / (dimension + 8)),
    );
    const loaded: VectorRows = {
      dimension,
      rows: new Int8Array(capacity * dimension),
      rowids: new Float64Array(capacity),
      size: 0,
      seen: source.head(),
    };
    const fill = (stored: Iterable<{ rowid: number | bigint; embedding: Buffer }>): boolean => {
      for (const { rowid, embedding } of stored) {
        if (embedding.byteLength !== dimension * 4) {
          throw new VectorLayoutError(`a vector of ${embedding.byteLength} bytes in ${vectors}, not ${dimension * 4}`);
        }
        if (loaded.size === loaded.rowids.length && !grow(loaded, budget)) {
          return false;
        }
        const row = loaded.size++;
        loaded.rowids[row] = Number(rowid);
        quantize(asFloats(embedding), loaded.rows.subarray(row * dimension, (row + 1) * dimension));
      }
      return bytesOf(loaded) <= budget;
    };
    try {
      return fill(source.all(collectionId, vectors)) ? loaded : undefined;
    } catch (error) {
      // sqlite-vec's blocks not as this version reads them: the same rows, read one at a time.
      if (!(error instanceof VectorLayoutError)) {
        throw error;
      }
      loaded.size = 0;
      return fill(source.allRowByRow(collectionId, vectors)) ? loaded : undefined;
    }
  });
}

/** Rows read by `readRows`, with the map from each chunk to its row. */
export function withRowMap(loaded: VectorRows): Scan {
  const rowOf = new Map<number, number>();
  for (let row = 0; row < loaded.size; row++) {
    rowOf.set(loaded.rowids[row] as number, row);
  }
  return { ...loaded, rowOf };
}

/** Doubles a full matrix, or grows it as far as `budget` allows; false when it allows no more rows. */
function grow(scan: VectorRows, budget: number): boolean {
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
  return true;
}

/**
 * Writes a chunk's vector into its row, or a new row at the end, growing the matrix when full. False
 * when it is full and the budget allows no more.
 */
export function put(scan: Scan, rowid: number, embedding: Buffer, budget: number): boolean {
  let row = scan.rowOf.get(rowid);
  if (row === undefined) {
    if (scan.size === scan.rowids.length && !grow(scan, budget)) {
      return false;
    }
    row = scan.size++;
    scan.rowOf.set(rowid, row);
    scan.rowids[row] = rowid;
  }
  quantize(asFloats(embedding), scan.rows.subarray(row * scan.dimension, (row + 1) * scan.dimension));
  return true;
}

/** Takes a chunk's row out, moving the last row into its place, so rows `[0, size)` stay dense. */
export function remove(scan: Scan, rowid: number): void {
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
export function asFloats(embedding: Buffer): Float32Array {
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
