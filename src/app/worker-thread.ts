/**
 * The entry point of the worker thread that `sluice serve` runs its workers in (see
 * `worker-thread-host.ts`): an app of its own on the same ledger, with the in-process queue, taking
 * its jobs, cancels and questions from the API's thread and telling it of every event it logs.
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createApp } from './create-app.js';
import { serveWorkerThread } from './serve-worker-thread.js';
import type { FromWorkerThread, WorkerThreadData } from './worker-thread-messages.js';

if (!parentPort) {
  throw new Error('worker-thread.js runs as a worker thread, started by the API process');
}
const port = parentPort;
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
  onEmbedderCall: (outcome) => port.postMessage({ type: 'embedderCall', outcome } satisfies FromWorkerThread),
  ...(writerGate ? { writerGate } : {}),
});
serveWorkerThread(port, {
  queue: app.queue,
  workerId: app.workerId,
  startWorkers: () => app.startWorkers(),
  subscribe: (listener) => app.events.subscribe(listener),
  close: () => app.close(),
  report: (error) =>
    app.logger.error({ err: error }, 'the worker thread could not act on a message from the API thread'),
});
