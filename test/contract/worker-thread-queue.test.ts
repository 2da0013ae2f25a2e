import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createWorkerThreadHost, type WorkerThreadHost } from '../../src/app/worker-thread-host.js';

/** What the fixture's handler told the API's thread (see worker-thread-fixture.js). */
interface Told {
  type: 'started' | 'done' | 'aborted' | 'reported';
  documentId: string;
  threadId: number;
}

const fixture = fileURLToPath(new URL('./worker-thread-fixture.js', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function startHost(): { host: WorkerThreadHost; told: Told[]; crashes: (string | undefined)[] } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-thread-queue-'));
  const told: Told[] = [];
  const crashes: (string | undefined)[] = [];
  const host = createWorkerThreadHost({
    config: loadConfig({ SLUICE_DATA_DIR: dir, SLUICE_SHUTDOWN_GRACE_MS: '2000' }),
    logger: pino({ level: 'silent' }),
    onEvent: (event) => told.push(event as unknown as Told),
    onEmbedderCall: () => undefined,
    onCrash: (workerId) => {
      crashes.push(workerId);
      return Promise.resolve();
    },
    entryPoint: fixture,
  });
  cleanups.push(async () => {
    await host.queue.close(0);
    rmSync(dir, { recursive: true, force: true });
  });
  return { host, told, crashes };
}

const until = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('timed out waiting');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
const saw = (told: Told[], type: Told['type'], documentId: string) =>
  told.some((t) => t.type === type && t.documentId === documentId);

// The API thread's view of the queue the worker thread runs: what `sluice serve` dispatches to.
describe('JobQueue contract: the worker thread, seen from the API thread', () => {
  it('knows the jobs posted before the thread starts, and runs each once when it has', async () => {
    const { host, told } = startHost();
    const { queue } = host;
    await queue.enqueue([{ documentId: 'sleep:20:a' }, { documentId: 'sleep:20:b' }]);
    expect(await queue.has('sleep:20:a')).toBe(true);
    expect(await queue.has('sleep:20:other')).toBe(false);
    expect((await queue.stats()).waiting).toBe(2);
    expect(() => queue.start(() => Promise.resolve({ kind: 'done' }), { concurrency: 1 })).toThrow(/own handlers/);

    expect(await host.start()).toBe(0);
    await queue.idle();
    expect(told.filter((t) => t.type === 'done').map((t) => t.documentId)).toEqual(['sleep:20:a', 'sleep:20:b']);
    expect(await queue.has('sleep:20:a')).toBe(false);
    expect(await queue.stats()).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 0 });
  });

  it("passes a cancel to the running job's signal and drops a waiting one", async () => {
    const { host, told } = startHost();
    const { queue } = host;
    await host.start();
    await queue.enqueue([{ documentId: 'block:1' }, { documentId: 'block:2' }, { documentId: 'block:3' }]);
    await until(() => saw(told, 'started', 'block:1') && saw(told, 'started', 'block:2'));
    expect(await queue.stats()).toMatchObject({ active: 2, waiting: 1 });

    await queue.cancel('block:3');
    await queue.cancel('block:1');
    await until(() => saw(told, 'aborted', 'block:1'));
    expect(await queue.has('block:3')).toBe(false);
    await queue.cancel('block:2');
    await queue.idle();
    expect(saw(told, 'started', 'block:3')).toBe(false);
  });

  it('has a thread that died replaced: its questions answered and what was sent meanwhile run by the next', async () => {
    const { host, told, crashes } = startHost();
    const { queue } = host;
    await host.start();
    const firstWorker = host.workerId;
    await queue.enqueue([{ documentId: 'block:held' }]);
    await until(() => saw(told, 'started', 'block:held'));
    // Asked of the first thread, which dies before it could answer.
    const idle = queue.idle();
    await queue.enqueue([{ documentId: 'crash' }]);
    await until(() => host.thread === undefined);
    await queue.enqueue([{ documentId: 'sleep:10:meanwhile' }]);
    expect(await queue.has('sleep:10:meanwhile')).toBe(true);

    await idle;
    expect(saw(told, 'done', 'sleep:10:meanwhile')).toBe(true);
    expect(crashes).toEqual([firstWorker]);
    const threads = new Set(told.map((t) => t.threadId));
    expect(threads.size).toBe(2);
    expect(host.workerId).toBeDefined();
    expect(host.workerId).not.toBe(firstWorker);
  });

  it('answers a question the thread failed to answer, and the thread goes on', async () => {
    const { host, told, crashes } = startHost();
    const { queue } = host;
    await host.start();
    expect(await queue.has('broken')).toBe(false);
    expect(told.some((t) => t.type === 'reported' && t.documentId.includes('store away'))).toBe(true);
    await queue.enqueue([{ documentId: 'sleep:10:after' }]);
    await queue.idle();
    expect(saw(told, 'done', 'sleep:10:after')).toBe(true);
    expect(crashes).toEqual([]);
  });

  it('on close, gives the running job its grace, answers what was asked, and answers alone after', async () => {
    const { host, told } = startHost();
    const { queue } = host;
    await host.start();
    await queue.enqueue([{ documentId: 'sleep:300:last' }]);
    await until(() => saw(told, 'started', 'sleep:300:last'));
    const idle = queue.idle();
    await queue.close();
    await expect(idle).resolves.toBeUndefined();
    expect(saw(told, 'done', 'sleep:300:last')).toBe(true);
    expect(host.thread).toBeUndefined();
    expect(await queue.has('sleep:300:last')).toBe(false);
    expect(await queue.stats()).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 0 });
  });
});
