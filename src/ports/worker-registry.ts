export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  lastSeenAt: string;
}

/** Heartbeats of worker processes, for readiness and status. */
export interface WorkerRegistry {
  /** Records that a worker process is alive (insert or refresh). */
  recordWorkerHeartbeat(worker: WorkerInfo): Promise<void>;
  /** Worker processes seen within the last `withinMs`, and forgets those gone for long. */
  listLiveWorkers(withinMs: number): Promise<WorkerInfo[]>;
  removeWorker(id: string): Promise<void>;
}
