import { describe, expect, it } from 'vitest';
import { largestFirstOrder } from './ingest-service.js';

describe('largestFirstOrder', () => {
  it('takes the largest files first and keeps equal sizes in their order', () => {
    expect(largestFirstOrder([5, 50, 20, 50, 5])).toEqual([1, 3, 2, 0, 4]);
    expect(largestFirstOrder([])).toEqual([]);
  });
});
