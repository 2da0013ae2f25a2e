/**
 * BullMQ ranks by `priority` ascending (1 first) and runs unprioritised jobs before all others; the
 * port ranks higher first. Every job gets an explicit BullMQ priority so that the order holds.
 */
export function toBullPriority(priority = 0): number {
  return Math.min(2_097_151, Math.max(1, 1_000_000 - Math.round(priority)));
}

/** A document's job has the document id as job id; see `enqueueDocuments` for reruns. */
export const rerunId = (documentId: string): string => `${documentId}.rerun`;

// Outcomes live in the ledger; Redis keeps only what is in flight (and failures, bounded by the
// queues' `removeOnFail`, see `bullmq-connection.ts`), so its memory stays flat. A handler that throws met a broken dependency (database unreachable), which
// BullMQ retries with backoff; document-level failures are recorded by the handlers themselves.
export const jobDefaults = {
  removeOnComplete: true,
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
} as const;
