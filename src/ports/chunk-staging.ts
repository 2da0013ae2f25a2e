import type { Chunk, EmbeddedChunk } from '../core/types.js';

/**
 * A running attempt's chunks, kept in the store from its fan-out to its fan-in where embedding batches
 * go through a shared queue: the batch jobs then carry ids and index ranges, and their results carry
 * no vectors, so what the queue holds for a document is small whatever its size and the embedding
 * dimension.
 */
export interface ChunkStaging {
  /**
   * Keeps an attempt's chunks for its batches, in place of whatever other attempts of the document
   * kept; false, and nothing kept, if the attempt is no longer the document's.
   */
  stageChunks(documentId: string, attemptId: string, chunks: readonly Chunk[]): Promise<boolean>;
  /** The attempt's kept chunks with indexes in [from, to), in order; none if it kept none. */
  stagedChunks(documentId: string, attemptId: string, from: number, to: number): Promise<Chunk[]>;
  /** Keeps the vectors of the attempt's kept chunks, by chunk index; false if it kept none of them. */
  stageVectors(
    documentId: string,
    attemptId: string,
    vectors: readonly { index: number; vector: Float32Array }[],
  ): Promise<boolean>;
  /** The attempt's kept chunks that have their vectors, in order. */
  embeddedChunks(documentId: string, attemptId: string): Promise<EmbeddedChunk[]>;
  /**
   * Drops what the document's attempts kept, once one has published or failed.
   * @remarks `Housekeeping.prune` drops what attempts that are no longer their document's left.
   */
  dropStagedChunks(documentId: string): Promise<void>;
}
