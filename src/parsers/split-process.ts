/**
 * Entry point of a parse process (forked by `sandboxed-splitter.ts`): takes one file at a time over IPC
 * and answers with its steps and its chunks.
 */
import { splitFile, type SplitProgress, type SplitReply, type SplitTask } from './split-worker.js';

/** From the parent: a file to split. */
export interface TaskMessage {
  id: number;
  task: SplitTask;
}

/** To the parent: a step of task `id`, or its reply with this process's resident memory after it, in bytes. */
export type ChildMessage = { id: number; step: SplitProgress } | { id: number; reply: SplitReply; rss: number };

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

process.on('message', (message: TaskMessage) => {
  void splitFile(message.task, (step) => send({ id: message.id, step })).then((reply) =>
    send({ id: message.id, reply, rss: process.memoryUsage.rss() }),
  );
});
// The parent's end closing (it exited, or closed the pool) ends this process.
process.on('disconnect', () => process.exit(0));
