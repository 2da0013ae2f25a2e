import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalQueue } from '../../src/queue/local/local-queue.js';
import { reconcileQueue } from '../../src/services/reconcile-queue.js';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { register, withFixture } from '../contract/store/store-fixtures.js';

describe('reconciling the queue with the ledger', () => {
  it('gives a job to each document in flight the queue lost, a page at a time, and never reads the backlog waiting its turn', async () => {
    const store = createSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'sluice-reconcile-')), 'sluice.db') });
    const queue = createLocalQueue({
      onHandlerError: (error) => {
        throw error;
      },
    });
    try {
      const fixture = await withFixture(store);
      for (let i = 0; i < 2000; i++) {
        await register(fixture, `file-${String(i).padStart(4, '0')}`);
      }
      // Five handed to the queue, as a dispatch does; their jobs were lost (the queue is empty).
      const dispatched = (await store.dispatch(fixture.tenant.id, { maxInFlight: 5 })).map((d) => d.documentId);
      const seen: string[] = [];
      const listInFlight = store.listInFlight.bind(store);
      const counting = Object.assign(Object.create(store) as typeof store, {
        listInFlight: async (page: { after?: string; limit: number }) => {
          const rows = await listInFlight(page);
          seen.push(...rows.map((d) => d.id));
          return rows;
        },
      });
      const rules = { settleMs: 0, includeRunning: false, limit: 3 };
      const first = await reconcileQueue({ store: counting, queue }, rules);
      expect(first.orphans).toHaveLength(3);
      expect(first.next).toBeDefined();
      const second = await reconcileQueue({ store: counting, queue }, { ...rules, after: first.next! });
      expect(second.orphans).toHaveLength(2);
      expect(second.next).toBeUndefined();
      expect([...first.orphans, ...second.orphans].map((d) => d.id).sort()).toEqual([...dispatched].sort());
      // The 1,995 documents waiting for their tenant's turn were never read.
      expect(seen.sort()).toEqual([...dispatched].sort());
      // Now that the queue has them, the next round finds nothing to do.
      expect((await reconcileQueue({ store: counting, queue }, { ...rules, limit: 10 })).orphans).toEqual([]);
    } finally {
      await queue.close();
      await store.close();
    }
  });
});
