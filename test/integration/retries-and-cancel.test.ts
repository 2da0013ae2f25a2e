import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/core/errors.js';
import { createHashEmbedder } from '../../src/embedders/hash-embedder.js';
import type { Embedder } from '../../src/ports/index.js';
import { startPipeline } from '../helpers/pipeline.js';

/**
 * Stands in for a hosted embedding API (unreachable from tests): the real hash embedder behind a
 * script of failures, as a rate-limited or flaky service would answer.
 */
function scriptedEmbedder(script: (call: number, signal?: AbortSignal) => Promise<void>): Embedder & { calls: number } {
  const inner = createHashEmbedder({ dimension: 64 });
  const embedder = {
    spec: inner.spec,
    calls: 0,
    async embed(texts: string[], signal?: AbortSignal) {
      embedder.calls++;
      await script(embedder.calls, signal);
      return inner.embed(texts, signal);
    },
  };
  return embedder;
}

const setup = (embedder: Embedder, maxAttempts = 4, autoStart = true) =>
  startPipeline(embedder, { maxAttempts, autoStart });

const text = 'Sentence about the retry path and its backoff. '.repeat(40);

describe('retries, permanent failures and cancel', () => {
  it('retries transient embedder failures with backoff and completes', async () => {
    const embedder = scriptedEmbedder(async (call) => {
      if (call <= 2) {
        throw new SluiceError('embedder_rate_limited', `429 on call ${call}`);
      }
    });
    const { store, queue, add, seen } = await setup(embedder);
    const id = await add('a.txt', text);
    await queue.idle();
    expect(await store.getDocument(id)).toMatchObject({ state: 'completed', attempts: 3, errorCode: null });
    const states = seen
      .filter((e) => e.type === 'document.state')
      .map((e) => (e.type === 'document.state' ? `${e.state}${e.errorCode ? `:${e.errorCode}` : ''}` : ''));
    expect(states.filter((s) => s === 'queued:embedder_rate_limited')).toHaveLength(2);
    expect(states.at(-1)).toBe('completed');
    await queue.close();
    await store.close();
  });

  it('fails after the configured attempts when the fault does not pass, and at once when it is permanent', async () => {
    const embedder = scriptedEmbedder(async () => {
      throw new SluiceError('embedder_failed', 'service down');
    });
    const { store, queue, add } = await setup(embedder, 3);
    const id = await add('a.txt', text);
    await queue.idle();
    expect(await store.getDocument(id)).toMatchObject({ state: 'failed', attempts: 3, errorCode: 'embedder_failed' });
    expect(embedder.calls).toBe(3);
    await queue.close();
    await store.close();

    const rejecting = scriptedEmbedder(async () => {
      throw new SluiceError('invalid_input', 'the model refuses this input');
    });
    const second = await setup(rejecting, 5);
    const other = await second.add('b.txt', text);
    await second.queue.idle();
    expect(await second.store.getDocument(other)).toMatchObject({
      state: 'failed',
      attempts: 1,
      errorCode: 'invalid_input',
    });
    await second.queue.close();
    await second.store.close();
  });

  it('cancel stops a running document through its signal and publishes nothing of it', async () => {
    let release: () => void = () => undefined;
    const embedder = scriptedEmbedder(
      (_call, signal) =>
        new Promise<void>((resolve, reject) => {
          release = resolve;
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        }),
    );
    const { store, queue, add, collection } = await setup(embedder);
    const id = await add('a.txt', text);
    await expect.poll(async () => (await store.getDocument(id))?.state).toBe('embedding');
    await store.cancel(id);
    await queue.cancel(id);
    release();
    await queue.idle();
    expect(await store.getDocument(id)).toMatchObject({ state: 'cancelled' });
    expect(await store.countChunks(collection.id)).toBe(0);
    await queue.close();
    await store.close();
  });

  it('a document whose process died in every attempt fails with worker_crashed instead of looping', async () => {
    const embedder = scriptedEmbedder(async () => undefined);
    const { store, queue, add, start, seen } = await setup(embedder, 2, false);
    const id = await add('poison.txt', text);
    const healthy = await add('healthy.txt', 'Another document about something else entirely. '.repeat(20));
    // Two attempts that began and never settled, as when the process is killed mid-parse each time.
    await store.claim(id, 'att_first');
    await store.claim(id, 'att_second');
    start();
    await queue.idle();
    expect(await store.getDocument(id)).toMatchObject({ state: 'failed', errorCode: 'worker_crashed', attempts: 3 });
    expect((await store.getDocument(id))?.errorMessage).toMatch(/stopped without finishing, 2 times/);
    expect(await store.getDocument(healthy)).toMatchObject({ state: 'completed', attempts: 1 });
    expect(embedder.calls).toBeGreaterThan(0);
    expect(
      seen.some((e) => e.type === 'document.state' && e.documentId === id && e.state === 'parsing' && e.attempt === 3),
    ).toBe(false);
    await queue.close();
    await store.close();
  });
});
