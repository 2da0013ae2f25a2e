import type { QueueStats } from '../../ports/queue.js';
import type { BullmqQueues } from './bullmq-connection.js';

const kinds = ['waiting', 'prioritized', 'delayed', 'active', 'failed', 'waiting-children'] as const;

/** The port's counts over both queues: documents and their embedding batches. */
export async function countJobs({ documents, batches }: Omit<BullmqQueues, 'commands'>): Promise<QueueStats> {
  const [d, b] = await Promise.all([documents.getJobCounts(...kinds), batches.getJobCounts(...kinds)]);
  const sum = (kind: (typeof kinds)[number]): number => (d[kind] ?? 0) + (b[kind] ?? 0);
  return {
    waiting: sum('waiting') + sum('prioritized'),
    delayed: sum('delayed'),
    // A document waiting for its batches is still being worked on.
    active: sum('active') + sum('waiting-children'),
    failed: sum('failed'),
  };
}

/** Resolves when neither queue has a job waiting, delayed or running. */
export async function waitUntilIdle(queues: Omit<BullmqQueues, 'commands'>): Promise<void> {
  for (;;) {
    const c = await countJobs(queues);
    if (c.waiting + c.delayed + c.active === 0) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
