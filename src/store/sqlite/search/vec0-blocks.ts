import type { StatementCache } from '../statement-cache.js';

/** sqlite-vec's storage is not in the layout this reader knows: read through its virtual table instead. */
export class VectorLayoutError extends Error {}

/** One stored vector: its chunk's rowid and its float32 bytes. */
export interface StoredVector {
  rowid: number;
  embedding: Buffer;
}

/**
 * Every vector of a sqlite-vec vec0 table read from its shadow tables, a block of vectors at a time,
 * instead of one row at a time through the virtual table, which is several times slower and set how
 * long the first search after a start took on a large collection (BENCH.md, "One collection grown to a
 * million chunks"). sqlite-vec 0.1 keeps, per block: a validity bitmap, the rowids (int64) and the
 * vectors (float32, one after another). Undefined where the tables are not in that shape (another
 * version): the caller reads through the virtual table then. Rowids that `leftOut` gives are skipped.
 */
export function vectorsInBlocks(
  statement: StatementCache,
  vectors: string,
  leftOut: () => ReadonlySet<number>,
): Iterable<StoredVector> | undefined {
  const columns = (table: string): string[] =>
    statement<[string], string>('SELECT name FROM pragma_table_info(?)').pluck().all(table);
  const blockColumns = columns(`${vectors}_chunks`);
  if (
    !['chunk_id', 'size', 'validity', 'rowids'].every((c) => blockColumns.includes(c)) ||
    !columns(`${vectors}_vector_chunks00`).includes('vectors')
  ) {
    return undefined;
  }
  const blocks = statement<[], { size: number; validity: Buffer; rowids: Buffer; vectors: Buffer }>(
    `SELECT c.size, c.validity, c.rowids, v.vectors FROM "${vectors}_chunks" c
      JOIN "${vectors}_vector_chunks00" v ON v.rowid = c.chunk_id ORDER BY c.chunk_id`,
  );
  return {
    *[Symbol.iterator]() {
      const skipped = leftOut();
      for (const block of blocks.iterate()) {
        const { size, validity, rowids } = block;
        const width = block.vectors.length / size;
        if (validity.length * 8 < size || rowids.length !== size * 8 || !Number.isInteger(width) || width % 4 !== 0) {
          throw new VectorLayoutError(`a block of ${vectors} is not in sqlite-vec 0.1's layout`);
        }
        for (let slot = 0; slot < size; slot++) {
          if (((validity[slot >> 3] as number) & (1 << (slot & 7))) === 0) {
            continue;
          }
          const rowid = Number(rowids.readBigInt64LE(slot * 8));
          if (!skipped.has(rowid)) {
            yield { rowid, embedding: block.vectors.subarray(slot * width, (slot + 1) * width) };
          }
        }
      }
    },
  };
}
