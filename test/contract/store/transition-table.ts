import { expect } from 'vitest';
import {
  canTransition,
  isRetryable,
  isTerminal,
  retryableStates,
  runningStates,
  type DocumentState,
} from '../../../src/core/states.js';
import type { Fixture } from './store-fixtures.js';
import { chunk, publish, register } from './store-fixtures.js';

/**
 * Core's one table of allowed transitions (`src/core/states.ts`), seen through the port's methods: the
 * states a document can be put in by those methods, and the moves each method attempts.
 */

/** A document put in a state through the port's own methods. */
export interface Placed {
  id: string;
  source: string;
  /** The attempt that holds the document now, if one does. */
  current: string | undefined;
  /** An attempt of this document that a later one superseded (or one it never had). */
  stale: string;
}

export interface StartingPoint {
  label: string;
  state: DocumentState;
  /** Whether an attempt holds the document there (else only a stale attempt id can be tried on it). */
  held: boolean;
  place(fixture: Fixture, source: string): Promise<Placed>;
}

const vector = [1, 0, 0, 0];

/** Registers `source`, then (unless `upTo` is `queued`) claims it twice, the first attempt left stale, and moves on to `upTo`. */
async function placeRunning(fixture: Fixture, source: string, upTo: DocumentState): Promise<Placed> {
  const { store } = fixture;
  const { id } = await register(fixture, source);
  const stale = `${source}:old`;
  const current = `${source}:cur`;
  expect(await store.claim(id, stale)).toMatchObject({ state: 'parsing' });
  expect(await store.claim(id, current)).toMatchObject({ state: 'parsing' });
  if (upTo !== 'parsing') {
    expect(await store.setStage(id, current, upTo)).toBe(true);
  }
  return { id, source, current, stale };
}

async function placeThen(
  fixture: Fixture,
  source: string,
  upTo: DocumentState,
  then: (placed: Placed & { current: string }) => Promise<unknown>,
): Promise<Placed> {
  const placed = await placeRunning(fixture, source, upTo);
  expect(await then({ ...placed, current: placed.current as string })).toBeTruthy();
  return placed;
}

export const startingPoints: StartingPoint[] = [
  {
    label: 'queued (new)',
    state: 'queued',
    held: false,
    place: async (fixture, source) => ({
      id: (await register(fixture, source)).id,
      source,
      current: undefined,
      stale: `${source}:never`,
    }),
  },
  {
    label: 'queued (waiting to retry)',
    state: 'queued',
    held: true,
    place: (f, source) =>
      placeThen(f, source, 'parsing', (p) =>
        f.store.scheduleRetry(p.id, p.current, 'embedder_failed', 'down', new Date(Date.now() + 60_000)),
      ),
  },
  ...runningStates.map((state): StartingPoint => ({
    label: state,
    state,
    held: true,
    place: (f, source) => placeRunning(f, source, state),
  })),
  {
    label: 'completed',
    state: 'completed',
    held: true,
    place: (f, source) =>
      placeThen(f, source, 'indexing', (p) => f.store.complete(p.id, p.current, 'text/plain', [chunk(0, 'a', vector)])),
  },
  {
    label: 'completed_with_errors',
    state: 'completed_with_errors',
    held: true,
    place: (f, source) =>
      placeThen(f, source, 'indexing', (p) =>
        f.store.complete(p.id, p.current, 'text/plain', [chunk(0, 'a', vector)], {
          chunksTotal: 2,
          failedChunks: [1],
          code: 'embedder_rejected',
          message: 'refused',
        }),
      ),
  },
  {
    label: 'failed',
    state: 'failed',
    held: true,
    place: (f, source) => placeThen(f, source, 'parsing', (p) => f.store.fail(p.id, p.current, 'corrupt_file', 'bad')),
  },
  {
    label: 'cancelled',
    state: 'cancelled',
    held: false,
    place: async (f, source) => {
      const placed = await placeThen(f, source, 'parsing', (p) => f.store.cancel(p.id));
      // A cancel ends the attempt: no attempt holds the document any more.
      return { ...placed, current: undefined };
    },
  },
  {
    label: 'skipped',
    state: 'skipped',
    held: false,
    place: async (f, source) => {
      const original = await register(f, `${source}:original`, { sha256: source });
      await publish(f.store, original.id, `${source}:att`, [chunk(0, 'a', vector)]);
      const copy = await register(f, source, { sha256: source });
      expect(copy.state).toBe('skipped');
      return { id: copy.id, source, current: undefined, stale: `${source}:never` };
    },
  },
];

/** A method of the port that tries to move a document into `to`. */
export interface Move {
  label: string;
  to: DocumentState;
  /** Fenced by the attempt id: only the attempt holding the document may make it. */
  fenced: boolean;
  /**
   * The states this method may move a document from at all, where the table's TSDoc narrows the table
   * by who makes the move; absent: all the table allows.
   */
  onlyFrom?: (state: DocumentState) => boolean;
  /** Runs the method on the placed document (as its current attempt, if fenced); true if it says it moved it. */
  run(fixture: Fixture, placed: Placed, attemptId: string): Promise<boolean>;
}

/**
 * An attempt's own move. The table lets `queued` be entered from a state that ended (a new version, a
 * requeue by hand), but an attempt's retry comes from a state still running: an attempt's moves never
 * reopen a document that ended.
 */
const fencedMove = (label: string, to: DocumentState, run: Move['run']): Move => ({
  label,
  to,
  fenced: true,
  onlyFrom: (state) => !isTerminal(state),
  run,
});

export const moves: Move[] = [
  ...runningStates.map((state) =>
    fencedMove(`setStage → ${state}`, state, ({ store }, { id }, attempt) => store.setStage(id, attempt, state)),
  ),
  fencedMove('complete', 'completed', ({ store }, { id }, attempt) =>
    store.complete(id, attempt, 'text/plain', [chunk(0, 'published', vector)]),
  ),
  fencedMove('complete with failed chunks', 'completed_with_errors', ({ store }, { id }, attempt) =>
    store.complete(id, attempt, 'text/plain', [chunk(0, 'published', vector)], {
      chunksTotal: 2,
      failedChunks: [1],
      code: 'embedder_rejected',
      message: 'refused',
    }),
  ),
  fencedMove('fail', 'failed', ({ store }, { id }, attempt) => store.fail(id, attempt, 'corrupt_file', 'bad')),
  fencedMove('scheduleRetry', 'queued', ({ store }, { id }, attempt) =>
    store.scheduleRetry(id, attempt, 'embedder_failed', 'down', new Date(Date.now() + 60_000)),
  ),
  {
    label: 'cancel',
    to: 'cancelled',
    fenced: false,
    run: async ({ store }, { id }) => (await store.cancel(id)) !== undefined,
  },
  {
    label: 'claim',
    to: 'parsing',
    fenced: false,
    run: async ({ store }, { id, source }) => (await store.claim(id, `${source}:new`)) !== undefined,
  },
  {
    label: 'requeue',
    to: 'queued',
    fenced: false,
    // Queued again by hand: from the retryable states, the only ones it can be asked for.
    onlyFrom: isRetryable,
    run: async ({ store }, { id }) => {
      // Only retryable states may be asked for; a document in another state is asked for as each of them.
      let moved = false;
      for (const state of retryableStates) {
        moved = (await store.requeue({ documentId: id, state })).some((d) => d.id === id) || moved;
      }
      return moved;
    },
  },
  {
    label: 'registerDocument (new version)',
    to: 'queued',
    fenced: false,
    run: async (fixture, { id, source }) => {
      const outcome = await fixture.store.registerDocument({
        collectionId: fixture.collection.id,
        batchId: fixture.batch.id,
        source,
        sha256: `${source}:v2`,
        sizeBytes: 2,
      });
      return outcome.kind === 'queued' && outcome.document.id === id;
    },
  },
];

/** Whether `move` may take a document from `from`: what core's table says, where the method may move it from at all. */
export function mayMove(move: Move, from: DocumentState): boolean {
  return (move.onlyFrom?.(from) ?? true) && canTransition(from, move.to);
}
