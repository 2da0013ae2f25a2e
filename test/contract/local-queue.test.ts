import { createLocalQueue } from '../../src/queue/local/local-queue.js';
import { describeQueueContract } from './queue-contract.js';

describeQueueContract('local', () =>
  Promise.resolve(
    createLocalQueue({
      onHandlerError: (error) => {
        throw error;
      },
    }),
  ),
);
