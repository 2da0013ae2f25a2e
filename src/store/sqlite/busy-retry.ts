import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WriterGate } from './writer-gate.js';

/**
 * Another process (an API beside a `sluice worker`) holds SQLite's write lock. SQLite's own busy
 * handler waits by sleeping the thread, in steps that grow to 100 ms: the whole process stops, every
 * request in flight with it, and a waiter that sleeps through the moment the lock is free waits a
 * step longer. So the writing connection fails at once when the lock is taken (`busy_timeout = 0`),
 * and the store tries again here, every millisecond or so, without holding the event loop.
 */
function isBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `work` until it is not refused as busy, for at most `timeoutMs`; then the last refusal is thrown.
 * With a `gate`, the wait is announced there, and publish slices hold off until it is over.
 */
export async function retryWhileBusy<T>(work: () => T | Promise<T>, timeoutMs: number, gate?: WriterGate): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let done: (() => void) | undefined;
  try {
    for (let tries = 0; ; tries++) {
      try {
        return await work();
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) {
          throw error;
        }
        done ??= gate?.waiting();
        // Lock holders keep their transactions short (a publish is cut into slices of a few ms): poll
        // briskly at first, then ease off for one that holds on (a migration, a large delete).
        await sleep(tries < 200 ? 1 : 5);
      }
    }
  } finally {
    done?.();
  }
}
