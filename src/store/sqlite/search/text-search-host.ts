import { Worker } from 'node:worker_threads';
import type { SearchHit } from '../../../core/types.js';
import type { FullTextRequest } from './full-text-search.js';
import type { TextSearchReply, TextSearchRequest, TextSearchThreadData } from './text-search-messages.js';
import { builtEntryPoint } from '../../../runtime/built-entry-point.js';

/**
 * Full-text searches on a thread of their own, with its own read-only connection to the store's file.
 * better-sqlite3 runs a statement on the calling thread, so a hybrid query ran its vector scan and its
 * BM25 ranking one after the other. Here, the two run at once, and a hybrid query answers sooner
 * (`bench/query-latency.js`, measured in BENCH.md). It also keeps text searches off the event loop that
 * answers uploads.
 *
 * The thread starts on the first search, which waits for it, so a process that never searches
 * (`sluice worker`, `sluice ingest`) never starts it. If it fails (its connection cannot be opened, the
 * thread dies), `onFailed` is told and searches are run by `here`, on the caller's thread, from then
 * on: the answer is the same, only not beside the scan (`sluice serve` logs a warning). Its connection
 * reads in WAL mode like the caller's, so it sees every write committed before the search was asked for.
 */
export interface TextSearchThread {
  /** Runs `request` on the thread, or with `here` once the thread has failed or been closed. */
  search(request: FullTextRequest, here: () => SearchHit[]): Promise<SearchHit[]>;
  /** Starts the thread if it has not; resolves once it runs searches (true) or has failed (false). */
  ready(): Promise<boolean>;
  /** Whether the thread has a search to answer (a hybrid query's, while its vector scan runs). */
  readonly busy: boolean;
  /** Drops the thread's statements: a collection's tables were dropped. */
  forget(): void;
  /** Stops the thread; searches it had not answered are run with their `here`. */
  close(): Promise<void>;
}

interface Pending {
  resolve: (hits: SearchHit[]) => void;
  reject: (error: unknown) => void;
  here: () => SearchHit[];
}

export interface TextSearchThreadOptions {
  /** Told once if the thread cannot start or stops (not when closed): searches go on, on the calling thread. */
  onFailed?: (error: unknown) => void;
  /** The thread's entry point, for a test to give one that is not there; by default the built `text-search-thread.js`. */
  script?: string;
}

export function createTextSearchThread(path: string, options: TextSearchThreadOptions = {}): TextSearchThread {
  const { onFailed } = options;
  let thread: Worker | undefined;
  let state: 'idle' | 'starting' | 'ready' | 'gone' = 'idle';
  let readiness: Promise<boolean> | undefined;
  const pending = new Map<number, Pending>();
  let nextId = 0;

  const answerHere = ({ resolve, reject, here }: Pending): void => {
    try {
      resolve(here());
    } catch (error) {
      reject(error);
    }
  };
  const settle = (id: number, hits?: SearchHit[]): void => {
    const waiting = pending.get(id);
    if (!waiting) {
      return;
    }
    pending.delete(id);
    if (pending.size === 0) {
      // An idle thread must not keep the process alive; one with a search to answer must.
      thread?.unref();
    }
    if (hits) {
      waiting.resolve(hits);
    } else {
      answerHere(waiting);
    }
  };
  /** The thread is of no more use: what it had not answered is answered here. */
  const giveUp = (): void => {
    state = 'gone';
    thread = undefined;
    const unanswered = [...pending.values()];
    pending.clear();
    unanswered.forEach(answerHere);
  };

  const start = (): Promise<boolean> =>
    new Promise((resolve) => {
      state = 'starting';
      const data: TextSearchThreadData = { path };
      let spawned: Worker;
      try {
        spawned = new Worker(options.script ?? builtEntryPoint(import.meta.url, './text-search-thread.js'), {
          workerData: data,
        });
      } catch (error) {
        // No thread at all (its path was refused): search here, as when it fails later.
        giveUp();
        onFailed?.(error);
        resolve(false);
        return;
      }
      spawned.unref();
      thread = spawned;
      spawned.on('message', (message: TextSearchReply) => {
        if (message.kind === 'ready') {
          if (thread === spawned) {
            state = 'ready';
          }
          resolve(thread === spawned);
        } else {
          settle(message.id, message.kind === 'hits' ? message.hits : undefined);
        }
      });
      // 'error' (a throw in the thread) is followed by 'exit'; listened to so that it is not thrown here.
      let failure: unknown;
      spawned.on('error', (error) => {
        failure = error;
      });
      spawned.on('exit', (code) => {
        if (thread === spawned) {
          giveUp();
          onFailed?.(failure ?? new Error(`the text-search thread exited with code ${code}`));
        }
        resolve(false);
      });
    });

  const ready = (): Promise<boolean> => {
    readiness ??= start();
    return readiness;
  };

  return {
    async search(request, here) {
      // The first search waits for the thread to start (tens of milliseconds, once).
      if (state === 'idle' || state === 'starting') {
        await ready();
      }
      if (state !== 'ready' || !thread) {
        return here();
      }
      const id = nextId++;
      const message: TextSearchRequest = { kind: 'search', id, request };
      const running = thread;
      return new Promise((resolve, reject) => {
        if (pending.size === 0) {
          running.ref();
        }
        pending.set(id, { resolve, reject, here });
        running.postMessage(message);
      });
    },
    ready,
    get busy() {
      return pending.size > 0;
    },
    forget() {
      const message: TextSearchRequest = { kind: 'forget' };
      thread?.postMessage(message);
    },
    async close() {
      const running = thread;
      giveUp();
      readiness ??= Promise.resolve(false);
      await running?.terminate();
    },
  };
}
