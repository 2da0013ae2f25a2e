import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { reportLostJobs } from './bullmq-lost-jobs.js';

/** How this process's BullMQ workers connect, hold their jobs' locks and report trouble. */
export interface WorkerSettings {
  /** A connection of the worker's own: its reads block. */
  connect: () => Redis;
  prefix: string;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  onJobLost: (documentId: string, reason: string) => void;
  onError: (error: unknown) => void;
}

/** Starts a worker on the named queue with the settings' locks and stalled-job checks. */
export function startBullmqWorker<T>(
  settings: WorkerSettings,
  name: string,
  processor: (job: Job<T>, token?: string) => Promise<unknown>,
  concurrency: number,
): Worker {
  const worker = new Worker<T>(name, processor, {
    connection: settings.connect(),
    prefix: settings.prefix,
    concurrency: Math.max(1, concurrency),
    lockDuration: settings.lockDurationMs ?? 10_000,
    stalledInterval: settings.stalledIntervalMs ?? 5_000,
    maxStalledCount: settings.maxStalledCount ?? 5,
  });
  worker.on('error', settings.onError);
  reportLostJobs(worker as Worker, settings.onJobLost, settings.onError);
  return worker as Worker;
}
