/** How often a worker process tells the ledger it is alive. */
export const heartbeatMs = 5000;
/** Readiness and stall detection allow three missed beats. */
export const workersLiveWithinMs = heartbeatMs * 3;
