import type { SearchHit } from './types.js';

/**
 * Reciprocal rank fusion: each list gives a hit 1/(k + rank); hits found by both rise. It needs no
 * score calibration between BM25 and cosine similarity, which is why hybrid search uses it.
 * @param k dampens the weight of top ranks; 60 is the value of the original paper.
 */
export function fuseRankings(lists: SearchHit[][], limit: number, k = 60): SearchHit[] {
  const fused = new Map<number, { hit: SearchHit; score: number }>();
  for (const list of lists) {
    list.forEach((hit, rank) => {
      const entry = fused.get(hit.chunkId) ?? { hit, score: 0 };
      entry.score += 1 / (k + rank + 1);
      fused.set(hit.chunkId, entry);
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map(({ hit, score }) => ({ ...hit, score }));
}
