import { WaitingError, type Job } from 'bullmq';

/** The jobs this process runs, each with an abort signal that a cancel or the shutdown can reach. */
export interface RunningJobs {
  /** Runs a job's work with an abort signal this process can reach (cancel, shutdown). */
  track<T>(job: Job, documentId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /**
   * After work aborted by the shutdown: puts the job back to waiting and throws BullMQ's
   * `WaitingError`; after anything else does nothing.
   */
  releaseIfShuttingDown(job: Job, signal: AbortSignal, token?: string): Promise<void>;
  /** Aborts every running job of the document. */
  abortDocument(documentId: string, reason: string): void;
  /** Aborts every running job for the shutdown, so that each is released. */
  abortAllForShutdown(): void;
}

export function createRunningJobs(): RunningJobs {
  /** Running jobs of this process by job id, with the document they work for. */
  const active = new Map<string, { documentId: string; controller: AbortController }>();
  const shutdownReason = new Error('shutting down');

  return {
    async track(job, documentId, work) {
      const controller = new AbortController();
      const id = job.id as string;
      active.set(id, { documentId, controller });
      try {
        return await work(controller.signal);
      } finally {
        active.delete(id);
      }
    },
    // Released rather than finished: another worker picks the job up now, not after its lock expires.
    async releaseIfShuttingDown(job, signal, token) {
      if (signal.reason === shutdownReason) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
    },
    abortDocument(documentId, reason) {
      for (const entry of active.values()) {
        if (entry.documentId === documentId) {
          entry.controller.abort(new Error(reason));
        }
      }
    },
    abortAllForShutdown() {
      active.forEach((entry) => entry.controller.abort(shutdownReason));
    },
  };
}
