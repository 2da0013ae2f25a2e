/**
 * Entry point of a parse process (forked by `sandboxed-splitter.ts`): takes one file at a time over IPC
 * and answers with its steps and its chunks.
 */
import type { Chunk } from '../core/types.js';
import { splitFile, type SplitProgress, type SplitReply, type SplitTask } from './split-worker.js';

/** From the parent: a file to split. */
export interface TaskMessage {
  id: number;
  task: SplitTask;
}

/**
 * To the parent: a step of task `id`; a slice of its chunks, in text order; or its reply with this
 * process's resident memory after it, in bytes.
 */
export type ChildMessage = { id: number; step: SplitProgress } | { id: number; chunks: Chunk[] } | { id: number; reply: SplitReply; rss: number };

/**
 * Resolves once the message is written, or could not be: the parent is gone, and `disconnect` ends this
 * process.
 */
const send = (message: ChildMessage): Promise<void> =>
  new Promise((resolve) => {
    if (process.send === undefined) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });

process.on('message', (message: TaskMessage) => {
  void splitFile(
    message.task,
    (step) => void send({ id: message.id, step }),
    (chunks) => send({ id: message.id, chunks }),
  ).then((reply) => send({ id: message.id, reply, rss: process.memoryUsage.rss() }));
});
// The parent's end closing (it exited, or closed the pool) ends this process.
process.on('disconnect', () => process.exit(0));
