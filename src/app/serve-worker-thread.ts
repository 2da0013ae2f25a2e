import type { MessagePort } from 'node:worker_threads';
import type { StoredEvent } from '../ports/event-bus.js';
import type { JobQueue } from '../ports/queue.js';
import {
  noAnswer,
  type FromWorkerThread,
  type ToWorkerThread,
  type WorkerThreadAnswers,
  type WorkerThreadQuestion,
} from './worker-thread-messages.js';

/** What runs inside the worker thread: its queue, the workers that take its jobs, their events. */
export interface ThreadWorkers {
  readonly queue: JobQueue;
  readonly workerId: string;
  /** Starts the workers; resolves with how many unfinished documents they resumed. */
  startWorkers(): Promise<number>;
  subscribe(listener: (event: StoredEvent) => void): void;
  close(): Promise<void>;
  /** Told of a message the thread could not act on; the thread goes on. */
  report: (error: unknown) => void;
}

/**
 * The worker thread's side of `worker-thread-queue.ts`: takes jobs, cancels and questions from the
 * API's thread and tells it of every event its workers log. Messages posted before this is called
 * (while the workers were being built) wait in the port.
 */
export function serveWorkerThread(port: MessagePort, workers: ThreadWorkers): void {
  const post = (message: FromWorkerThread): void => port.postMessage(message);
  workers.subscribe((event) => post({ type: 'event', event }));

  const answer = async (question: WorkerThreadQuestion): Promise<WorkerThreadAnswers[keyof WorkerThreadAnswers]> => {
    switch (question.kind) {
      case 'has':
        return workers.queue.has(question.documentId);
      case 'stats':
        return workers.queue.stats();
      case 'idle':
        await workers.queue.idle();
        return null;
    }
  };

  port.on('message', (message: ToWorkerThread) => {
    switch (message.type) {
      case 'start':
        workers.startWorkers().then(
          (resumed) => post({ type: 'started', workerId: workers.workerId, resumed }),
          (error: unknown) => {
            // Workers that cannot start: the thread ends, and its host says why it did not start.
            workers.report(error);
            process.exit(1);
          },
        );
        break;
      case 'enqueue':
        workers.queue.enqueue(message.jobs).catch(workers.report);
        break;
      case 'cancel':
        workers.queue.cancel(message.documentId).catch(workers.report);
        break;
      case 'ask':
        void answer(message.question)
          .catch((error: unknown) => {
            workers.report(error);
            return noAnswer(message.question);
          })
          .then((value) => post({ type: 'answer', id: message.id, value }));
        break;
      case 'close':
        void workers
          .close()
          .catch(workers.report)
          .finally(() => {
            post({ type: 'closed' });
            port.close();
          });
        break;
    }
  });
}
