// The thread of the worker-thread queue's contract suite: the message loop `sluice serve`'s worker
// thread runs (dist/app/serve-worker-thread.js) over a local queue whose handler does what each job's
// id says, and tells the API's thread what it did as events.
//   sleep:<ms>:<name>  runs that long        block:<name>  runs until cancelled        crash  ends the thread
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { serveWorkerThread } from '../../dist/app/serve-worker-thread.js';
import { createLocalQueue } from '../../dist/queue/local/local-queue.js';

const listeners = [];
const tell = (type, documentId) => listeners.forEach((listener) => listener({ type, documentId, threadId }));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const handle = async ({ documentId }, signal) => {
  tell('started', documentId);
  if (documentId === 'crash') {
    process.exit(1);
  }
  if (documentId.startsWith('block:')) {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    tell('aborted', documentId);
    return { kind: 'done' };
  }
  await sleep(Number(documentId.split(':')[1]));
  tell('done', documentId);
  return { kind: 'done' };
};

const queue = createLocalQueue({
  onHandlerError: (error) => {
    throw error;
  },
});
serveWorkerThread(parentPort, {
  // A queue that fails to answer about `broken`, as one whose store is away would.
  queue: {
    ...queue,
    has: (documentId) => (documentId === 'broken' ? Promise.reject(new Error('store away')) : queue.has(documentId)),
  },
  workerId: `wrk-thread-${threadId}`,
  startWorkers: () => {
    queue.start(handle, { concurrency: 2 });
    return Promise.resolve(0);
  },
  subscribe: (listener) => listeners.push(listener),
  close: () => queue.close(workerData.config.shutdownGraceMs),
  report: (error) => tell('reported', String(error)),
});
