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
  /** Stops keeping the queues' stream caps (see `keepStreamCaps`). */
  stopKeepingCaps(): void;
}

/** Entries kept in each queue's event stream. */
const streamCaps = { documents: 1000, batches: 100 } as const;
/** How often the caps are written again, besides on every (re)connection. */
const capsRewriteMs = 15_000;

/**
 * A Redis that lost its data gets a queue's meta hash back from the first BullMQ script that needs
 * it, with BullMQ's default cap of 10,000 events, until a queue is opened again: so the caps are
 * written on every connection, and every few seconds in case the data went while connected.
 */
function keepStreamCaps(commands: Redis, queues: [Queue, number][]): () => void {
  const write = () => {
    for (const [queue, cap] of queues) {
      // While Redis is away this fails, as readiness reports; the next write puts the cap back.
      commands.hset(queue.keys.meta as string, 'opts.maxLenEvents', cap).catch(() => undefined);
    }
  };
  commands.on('ready', write);
  const timer = setInterval(write, capsRewriteMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    commands.off('ready', write);
  };
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
  // keep 10,000 entries by default: capped short, so Redis memory stays flat however many documents
  // pass through.
  const documents = new Queue<DocumentPayload>(documentQueueName, {
    connection: commands,
    prefix,
    streams: { events: { maxLen: streamCaps.documents } },
    defaultJobOptions,
  });
  const batches = new Queue<BatchJob>(batchQueueName, {
    connection: commands,
    prefix,
    streams: { events: { maxLen: streamCaps.batches } },
    defaultJobOptions,
  });
  documents.on('error', onError);
  batches.on('error', onError);
  const stopKeepingCaps = keepStreamCaps(commands, [
    [documents as Queue, streamCaps.documents],
    [batches as Queue, streamCaps.batches],
  ]);
  return { commands, documents, batches, stopKeepingCaps };
}
