/**
 * Entry point of a parse process (forked by `parse-process-pool.ts`): takes one task at a time over IPC
 * and answers with its steps and its chunks.
 */
import type { FromParseProcess, ToParseProcess } from './parse-process-messages.js';
import { runSplitTask } from './split-task.js';

/**
 * Resolves once the message is written, or could not be: the pool's process is gone, and `disconnect`
 * ends this one.
 */
const send = (message: FromParseProcess): Promise<void> =>
  new Promise((resolve) => {
    if (process.send === undefined) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });

process.on('message', (message: ToParseProcess) => {
  void runSplitTask(message.task, {
    step: (step) => void send({ id: message.id, step }),
    pages: (pages) => void send({ id: message.id, pages }),
    chunks: (chunks) => send({ id: message.id, chunks }),
  }).then((reply) => send({ id: message.id, reply, rss: process.memoryUsage.rss() }));
});
// The pool's end closing (its process exited, or closed the pool) ends this process.
process.on('disconnect', () => process.exit(0));
