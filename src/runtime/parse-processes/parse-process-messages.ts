import type { Chunk } from '../../core/types.js';
import type { PagesRead } from '../../ports/parser.js';
import type { SplitProgress, SplitReply, SplitTask } from './split-task.js';

/** From the pool to a parse process: a task to run. */
export interface ToParseProcess {
  id: number;
  task: SplitTask;
}

/**
 * From a parse process to the pool: a step of task `id`; the pages it has read of a paged file; a slice
 * of its chunks, in text order; or its reply with the process's resident memory after it, in bytes.
 */
export type FromParseProcess =
  | { id: number; step: SplitProgress }
  | { id: number; pages: PagesRead }
  | { id: number; chunks: Chunk[] }
  | { id: number; reply: SplitReply; rss: number };
