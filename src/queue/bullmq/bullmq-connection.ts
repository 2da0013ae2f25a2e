import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BatchJob } from '../../ports/queue.js';
import type { DocumentPayload } from './bullmq-payloads.js';

export const documentQueueName = 'documents';
export const batchQueueName = 'embeddings';

/** The connection for commands and the two queues over it: documents, and their embedding batches. */
export interface BullmqQueues {
  commands: Redis;
  documents: Queue<DocumentPayload>;
  batches: Queue<BatchJob>;
}

/** Opens the command connection and both queues, their errors reported to `onError`. */
export function openBullmqQueues(
  connect: () => Redis,
  prefix: string,
  onError: (error: unknown) => void,
  failedJobsKeptSeconds: number,
): BullmqQueues {
  // Jobs that failed for good are kept for a while to look at (the dashboard), then go.
  const defaultJobOptions = { removeOnFail: { count: 1000, age: failedJobsKeptSeconds } };
  const commands = connect();
  // BullMQ's event streams (for QueueEvents listeners; Sluice's own events go through the ledger)
  // keep 10,000 entries by default, and a batch's `completed` entry carries its result, vectors and
  // all: capped short, so Redis memory stays flat however many documents pass through.
  const documents = new Queue<DocumentPayload>(documentQueueName, {
    connection: commands,
    prefix,
    streams: { events: { maxLen: 1000 } },
    defaultJobOptions,
  });
  const batches = new Queue<BatchJob>(batchQueueName, {
    connection: commands,
    prefix,
    streams: { events: { maxLen: 100 } },
    defaultJobOptions,
  });
  documents.on('error', onError);
  batches.on('error', onError);
  return { commands, documents, batches };
}
