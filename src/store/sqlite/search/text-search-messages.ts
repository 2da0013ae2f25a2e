import type { SearchHit } from '../../../core/types.js';
import type { FullTextRequest } from './full-text-search.js';

export interface TextSearchThreadData {
  /** The store's database file. */
  path: string;
}

/** To the thread: run a search, or drop statements on tables that a collection's deletion dropped. */
export type TextSearchRequest = { kind: 'search'; id: number; request: FullTextRequest } | { kind: 'forget' };

/** From the thread: its connection is open; a search's hits; a search it could not run. */
export type TextSearchReply =
  { kind: 'ready' } | { kind: 'hits'; id: number; hits: SearchHit[] } | { kind: 'failed'; id: number };
