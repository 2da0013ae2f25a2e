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

export const terminalStates: readonly DocumentState[] = ['completed', 'completed_with_errors', 'failed', 'cancelled', 'skipped'];

/** States a worker holds a document in; after a crash they are resumed from the start. */
export const runningStates: readonly DocumentState[] = ['parsing', 'chunking', 'embedding', 'indexing'];

/** States a document can be queued again from (its chunks, if any, stay searchable until replaced). */
export const retryableStates = ['failed', 'cancelled', 'completed_with_errors'] as const satisfies readonly DocumentState[];

export type RetryableState = (typeof retryableStates)[number];

export function isRetryable(state: DocumentState): state is RetryableState {
  return (retryableStates as readonly DocumentState[]).includes(state);
}

export function isTerminal(state: DocumentState): boolean {
  return terminalStates.includes(state);
}
