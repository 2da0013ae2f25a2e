/** Life of one document job; see docs/architecture.md for the diagram. */
export const documentStates = [
  'queued',
  'parsing',
  'chunking',
  'embedding',
  'indexing',
  'completed',
  'completed_with_errors',
  'failed',
  'cancelled',
  'skipped',
] as const;

export type DocumentState = (typeof documentStates)[number];

export const terminalStates: readonly DocumentState[] = [
  'completed',
  'completed_with_errors',
  'failed',
  'cancelled',
  'skipped',
];

/** States a worker holds a document in; after a crash they are resumed from the start. */
export const runningStates: readonly DocumentState[] = ['parsing', 'chunking', 'embedding', 'indexing'];

/** States a document can be queued again from (its chunks, if any, stay searchable until replaced). */
export const retryableStates = [
  'failed',
  'cancelled',
  'completed_with_errors',
] as const satisfies readonly DocumentState[];

export type RetryableState = (typeof retryableStates)[number];

export function isRetryable(state: DocumentState): state is RetryableState {
  return (retryableStates as readonly DocumentState[]).includes(state);
}

export function isTerminal(state: DocumentState): boolean {
  return terminalStates.includes(state);
}

/**
 * The one table of allowed moves: to each state, the states a document may enter it from. Every
 * store backend enforces it in the statement that makes the move, and fencing by attempt comes on top.
 * - `queued`: recorded, a new version of its source (from any state but `skipped`), a retry waiting
 *   out its backoff (from a running state), or queued again by hand (from a retryable state);
 * - `parsing`: an attempt starts (`claim`), also over one that died mid-way;
 * - the other running states: forward only, or the same state again with new progress;
 * - `completed`, `completed_with_errors`: published from `indexing`;
 * - `failed`, `cancelled`: from any state that is not over yet;
 * - `skipped`: as it is recorded, a copy of a document already done; or a copy that waited `queued`
 *   for its original, once the original completed.
 */
export const allowedTransitions: Readonly<Record<DocumentState, readonly DocumentState[]>> = {
  queued: [
    'queued',
    'parsing',
    'chunking',
    'embedding',
    'indexing',
    'completed',
    'completed_with_errors',
    'failed',
    'cancelled',
  ],
  parsing: ['queued', ...runningStates],
  chunking: ['parsing', 'chunking'],
  embedding: ['parsing', 'chunking', 'embedding'],
  indexing: ['parsing', 'chunking', 'embedding', 'indexing'],
  completed: ['indexing'],
  completed_with_errors: ['indexing'],
  failed: ['queued', ...runningStates],
  cancelled: ['queued', ...runningStates],
  skipped: ['queued'],
};

/** Whether a document may move from `from` to `to`. */
export function canTransition(from: DocumentState, to: DocumentState): boolean {
  return allowedTransitions[to].includes(from);
}
