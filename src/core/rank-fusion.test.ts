import { describe, expect, it } from 'vitest';
import { fuseRankings } from './rank-fusion.js';
import type { SearchHit } from './types.js';

const hit = (chunkId: number): SearchHit => ({
  chunkId,
  documentId: 'd',
  source: 's',
  index: chunkId,
  text: '',
  charStart: 0,
  charEnd: 0,
  page: null,
  score: 0,
  mediaType: null,
  language: null,
  metadata: {},
});

describe('fuseRankings', () => {
  it('ranks what both lists found above what one list found first', () => {
    const fused = fuseRankings(
      [
        [hit(1), hit(2), hit(3)],
        [hit(4), hit(3), hit(5)],
      ],
      3,
    );
    expect(fused[0]?.chunkId).toBe(3);
    expect(fused).toHaveLength(3);
    expect(fused[0]!.score).toBeCloseTo(1 / 63 + 1 / 62);
  });
});
