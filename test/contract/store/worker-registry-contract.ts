import { describe, expect, it } from 'vitest';
import type { WorkerInfo } from '../../../src/ports/worker-registry.js';
import type { StoreFactory } from './store-fixtures.js';
import { useStores } from './store-fixtures.js';

const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();

/** The `WorkerRegistry` role: heartbeats of worker processes. */
export function describeWorkerRegistryContract(name: string, createStore: StoreFactory): void {
  describe(`WorkerRegistry contract: ${name}`, () => {
    const stores = useStores(createStore);

    it('lists the workers seen within the window, and none once removed', async () => {
      const { store } = await stores.open();
      const now = Date.now();
      await store.recordWorkerHeartbeat({
        id: 'w1',
        host: 'h',
        pid: 1,
        startedAt: new Date(now).toISOString(),
        lastSeenAt: new Date(now).toISOString(),
      });
      await store.recordWorkerHeartbeat({
        id: 'w2',
        host: 'h',
        pid: 2,
        startedAt: new Date(now).toISOString(),
        lastSeenAt: new Date(now - 60_000).toISOString(),
      });
      expect((await store.listLiveWorkers(15_000)).map((w) => w.id)).toEqual(['w1']);
      await store.removeWorker('w1');
      expect(await store.listLiveWorkers(15_000)).toEqual([]);
    });

    it('keeps a worker as it reported itself, and a newer heartbeat brings a quiet one back', async () => {
      const { store } = await stores.open();
      const worker: WorkerInfo = {
        id: 'wrk_1',
        host: 'node-a',
        pid: 4242,
        startedAt: ago(120_000),
        lastSeenAt: ago(60_000),
      };
      await store.recordWorkerHeartbeat(worker);
      expect(await store.listLiveWorkers(15_000)).toEqual([]);
      expect(await store.listLiveWorkers(90_000)).toEqual([worker]);
      const beat = { ...worker, lastSeenAt: ago(0) };
      await store.recordWorkerHeartbeat(beat);
      expect(await store.listLiveWorkers(15_000)).toEqual([beat]);
      await store.removeWorker('wrk_unknown');
      expect(await store.listLiveWorkers(15_000)).toEqual([beat]);
    });

    it('forgets workers gone for long', async () => {
      const { store } = await stores.open();
      const gone: WorkerInfo = {
        id: 'wrk_gone',
        host: 'h',
        pid: 1,
        startedAt: ago(40 * 86_400_000),
        lastSeenAt: ago(30 * 86_400_000),
      };
      await store.recordWorkerHeartbeat(gone);
      await store.recordWorkerHeartbeat({
        id: 'wrk_live',
        host: 'h',
        pid: 2,
        startedAt: ago(1000),
        lastSeenAt: ago(0),
      });
      expect((await store.listLiveWorkers(15_000)).map((w) => w.id)).toEqual(['wrk_live']);
      // Asked for a window that would still hold it: it is forgotten by then.
      expect((await store.listLiveWorkers(60 * 86_400_000)).map((w) => w.id)).toEqual(['wrk_live']);
    });
  });
}
