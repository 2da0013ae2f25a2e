import type { ScoredChunk } from './chunk-hits.js';

/** Rows of an int8 matrix, as the in-memory scan holds them. */
export interface Int8Rows {
  dimension: number;
  rows: Int8Array;
  rowOf: ReadonlyMap<number, number>;
}

/**
 * The `wanted` chunks among `allowed` whose int8 rows are nearest `query` by cosine, best first: the
 * scan of a search narrowed to a few documents, which reads only their rows.
 */
export function nearestRowsAmong(
  matrix: Int8Rows,
  query: Int8Array,
  allowed: Iterable<number>,
  wanted: number,
): number[] {
  const { dimension, rows, rowOf } = matrix;
  let queryNorm = 0;
  for (let i = 0; i < dimension; i++) {
    queryNorm += (query[i] as number) ** 2;
  }
  const scored: { id: number; score: number }[] = [];
  for (const id of allowed) {
    const row = rowOf.get(id);
    if (row === undefined) {
      continue;
    }
    const start = row * dimension;
    let dot = 0;
    let norm = 0;
    for (let i = 0; i < dimension; i++) {
      const v = rows[start + i] as number;
      dot += v * (query[i] as number);
      norm += v * v;
    }
    scored.push({ id, score: norm === 0 || queryNorm === 0 ? 0 : dot / Math.sqrt(norm * queryNorm) });
  }
  return scored
    .sort((a, b) => b.score - a.score || a.id - b.id)
    .slice(0, wanted)
    .map((s) => s.id);
}

/**
 * The `k` chunks among `allowed` nearest `query`, by the cosine of their float vectors read one by one:
 * a narrowed search where the collection is not held in memory.
 */
export function nearestAmong(
  read: (rowid: number) => Float32Array | undefined,
  query: Float32Array,
  allowed: Iterable<number>,
  k: number,
  cosine: (a: Float32Array, b: Float32Array) => number,
): ScoredChunk[] {
  const hits: ScoredChunk[] = [];
  for (const id of allowed) {
    const vector = read(id);
    if (vector) {
      hits.push({ id, score: cosine(query, vector) });
    }
  }
  return hits.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
}
