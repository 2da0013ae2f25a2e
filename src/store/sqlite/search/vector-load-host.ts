import { Worker } from 'node:worker_threads';
import { builtEntryPoint } from '../../../runtime/built-entry-point.js';
import type { VectorRows } from './vector-matrix.js';
import type { VectorLoadReply, VectorLoadRequest } from './vector-load-messages.js';

/** Reads collections' vectors for the in-memory scan on threads of their own (`vector-load-thread.ts`). */
export interface VectorLoader {
  /** The collection's rows, or undefined when they do not fit the budget; rejects if the thread fails. */
  load(request: Omit<VectorLoadRequest, 'path'>): Promise<VectorRows | undefined>;
  /** Stops the loads still running; their promises never settle. */
  close(): Promise<void>;
}

export function createVectorLoader(path: string, options: { script?: string } = {}): VectorLoader {
  const running = new Set<Worker>();
  let closed = false;
  return {
    load(request) {
      if (closed) {
        return new Promise(() => undefined);
      }
      return new Promise((resolve, reject) => {
        const data: VectorLoadRequest = { path, ...request };
        const thread = new Worker(options.script ?? builtEntryPoint(import.meta.url, './vector-load-thread.js'), {
          workerData: data,
        });
        // A load must not keep the process alive.
        thread.unref();
        running.add(thread);
        let answered = false;
        let failure: Error | undefined;
        thread.on('message', (reply: VectorLoadReply) => {
          answered = true;
          if (reply.kind === 'too-large') {
            resolve(undefined);
          } else {
            const { rows, rowids, size, seen, dimension } = reply;
            resolve({ rows, rowids, size, seen, dimension });
          }
        });
        // 'error' (a throw in the thread) is followed by 'exit'; listened to so that it is not thrown here.
        thread.on('error', (error: Error) => {
          failure = error;
        });
        thread.on('exit', (code) => {
          running.delete(thread);
          if (!answered && !closed) {
            reject(failure ?? new Error(`the vector-load thread exited with code ${code}`));
          }
        });
      });
    },
    async close() {
      closed = true;
      const stopping = [...running];
      running.clear();
      await Promise.all(stopping.map((thread) => thread.terminate()));
    },
  };
}
