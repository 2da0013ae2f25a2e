import { describe, expect, it } from 'vitest';
import {
  allowedTransitions,
  canTransition,
  documentStates,
  isTerminal,
  retryableStates,
  runningStates,
} from './states.js';

describe('the table of allowed transitions', () => {
  it('names every state, and nothing leaves a terminal state but a new version or a retry by hand', () => {
    expect(Object.keys(allowedTransitions).sort()).toEqual([...documentStates].sort());
    for (const from of documentStates.filter(isTerminal)) {
      const to = documentStates.filter((state) => canTransition(from, state));
      expect({ from, to }).toEqual({ from, to: from === 'skipped' ? [] : ['queued'] });
    }
  });

  it('moves running states forward only, and lets any of them fail, be cancelled or wait for a retry', () => {
    expect(canTransition('parsing', 'chunking')).toBe(true);
    expect(canTransition('embedding', 'embedding')).toBe(true);
    expect(canTransition('indexing', 'chunking')).toBe(false);
    expect(canTransition('embedding', 'parsing')).toBe(true);
    for (const state of runningStates) {
      expect(canTransition(state, 'failed')).toBe(true);
      expect(canTransition(state, 'cancelled')).toBe(true);
      expect(canTransition(state, 'queued')).toBe(true);
    }
    expect(canTransition('queued', 'completed')).toBe(false);
    expect(canTransition('embedding', 'completed')).toBe(false);
    expect(canTransition('indexing', 'completed')).toBe(true);
  });

  it('queues again by hand exactly the retryable states', () => {
    for (const state of retryableStates) {
      expect(canTransition(state, 'queued')).toBe(true);
    }
    expect(canTransition('skipped', 'queued')).toBe(false);
  });
});
