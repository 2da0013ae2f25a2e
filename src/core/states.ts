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

export function isTerminal(state: DocumentState): boolean {
  return terminalStates.includes(state);
}
