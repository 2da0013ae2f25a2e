/** Vectors kept by (model, dimension, SHA-256 of the text), so unchanged chunks are never embedded twice. */
export interface EmbeddingCache {
  /** Cached vectors of texts (by SHA-256) for one model and dimension; absent ones are left out. */
  getCachedEmbeddings(model: string, dimension: number, textHashes: string[]): Promise<Map<string, Float32Array>>;
  putCachedEmbeddings(
    model: string,
    dimension: number,
    entries: { textHash: string; vector: Float32Array }[],
  ): Promise<void>;
}
