import type { VectorRows } from './vector-matrix.js';

/** Which collection's vectors a load thread reads, from which file, within how much memory. */
export interface VectorLoadRequest {
  path: string;
  collectionId: string;
  /** The collection's sqlite-vec table. */
  vectors: string;
  dimension: number;
  budgetBytes: number;
}

/** The rows read, or word that they do not fit the budget. */
export type VectorLoadReply = ({ kind: 'rows' } & VectorRows) | { kind: 'too-large' };
