/**
 * The entry point of the worker thread that `sluice serve` runs its workers in (see
 * `worker-thread-host.ts`): an app of its own on the same ledger, with the in-process queue, taking
 * its jobs, cancels and questions from the API's thread and telling it of every event it logs.
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createApp } from './create-app.js';
import type {
  FromWorkerThread,
  ToWorkerThread,
  WorkerThreadAnswers,
  WorkerThreadData,
  WorkerThreadQuestion,
} from './worker-thread-messages.js';

if (!parentPort) {
  throw new Error('worker-thread.js runs as a worker thread, started by the API process');
}
const port = parentPort;
const post = (message: FromWorkerThread): void => port.postMessage(message);
const { config, writerGate } = workerData as WorkerThreadData;

// On Linux a nice value belongs to a thread, and pid 0 is the calling one: this lowers the worker
// thread alone, not the API's thread beside it. The parse processes it starts go `parseNice` lower
// still (19 at the defaults), so the order is: requests, then embedding and writing, then parsing;
// uploads are answered sooner while ingesting (`npm run bench:upload`, measured in BENCH.md).
if (config.workerThreadNice > 0) {
  try {
    setPriority(Math.min(19, getPriority() + config.workerThreadNice));
  } catch {
    // A sandbox that refuses it runs the thread at the process's priority: the same work, slower uploads.
  }
}

const app = await createApp(config, {
  onEmbedderCall: (outcome) => post({ type: 'embedderCall', outcome }),
  ...(writerGate ? { writerGate } : {}),
});
app.events.subscribe((event) => post({ type: 'event', event }));

const answer = async (question: WorkerThreadQuestion): Promise<WorkerThreadAnswers[keyof WorkerThreadAnswers]> => {
  switch (question.kind) {
    case 'has':
      return app.queue.has(question.documentId);
    case 'stats':
      return app.queue.stats();
    case 'idle':
      await app.queue.idle();
      return null;
  }
};

// Messages posted before this listener existed (while the app was being created) wait in the port.
port.on('message', (message: ToWorkerThread) => {
  switch (message.type) {
    case 'start':
      void app.startWorkers().then((resumed) => post({ type: 'started', workerId: app.workerId, resumed }));
      break;
    case 'enqueue':
      void app.queue.enqueue(message.jobs);
      break;
    case 'cancel':
      void app.queue.cancel(message.documentId);
      break;
    case 'ask':
      void answer(message.question).then((value) => post({ type: 'answer', id: message.id, value }));
      break;
    case 'close':
      void app.close().then(() => {
        post({ type: 'closed' });
        port.close();
      });
      break;
  }
});
