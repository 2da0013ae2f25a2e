import { expect } from 'vitest';
import type { DocumentState } from '../../../src/core/states.js';
import type { DocumentRecord } from '../../../src/core/types.js';
import type { Store } from '../../../src/ports/store.js';

type Counts = Record<string, number>;

/** What a collection, or a tenant, holds as the stats tell it. */
interface Holding {
  documentsByState: Counts;
  storedBytes: number;
  chunks: number;
}

interface Usage {
  collections: Record<string, Holding>;
  /** Of each tenant: `getTenantUsage`, failures by code and documents by state. */
  tenants: Record<string, { documents: number; bytes: number; chunks: number; failures: Counts; byState: Counts }>;
  byState: Counts;
  chunks: number;
}

const bump = (into: Counts, key: string, n = 1): void => {
  into[key] = (into[key] ?? 0) + n;
};
/** Counts without the zeros, so that a state nobody is in reads the same as one never counted. */
const nonZero = (counts: Counts): Counts => Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
/** The raw file a document keeps, if any: its bytes are counted once per file (hash and size). */
const fileOf = (doc: DocumentRecord): string | undefined =>
  doc.sha256 === '' ? undefined : `${doc.sha256}:${doc.sizeBytes}`;
const notHeld: readonly DocumentState[] = ['failed', 'cancelled', 'skipped'];

async function allDocuments(store: Store, tenantId: string): Promise<DocumentRecord[]> {
  const all: DocumentRecord[] = [];
  for (let after: string | undefined; ;) {
    const page = await store.listDocuments({ tenantId, limit: 500, ...(after === undefined ? {} : { after }) });
    all.push(...page);
    if (page.length < 500) {
      return all;
    }
    after = page[page.length - 1]?.id;
  }
}

/** Every figure of the stats, recounted from the documents and published chunks the store lists. */
async function recount(store: Store, tenantIds: readonly string[]): Promise<Usage> {
  const usage: Usage = { collections: {}, tenants: {}, byState: {}, chunks: 0 };
  for (const tenantId of tenantIds) {
    const documents = await allDocuments(store, tenantId);
    const tenantFiles = new Map<string, number>();
    const tenant = { documents: 0, bytes: 0, chunks: 0, failures: {} as Counts, byState: {} as Counts };
    for (const collection of await store.listCollections(tenantId)) {
      const files = new Map<string, number>();
      const holding: Holding = { documentsByState: {}, storedBytes: 0, chunks: 0 };
      for (const doc of documents.filter((d) => d.collectionId === collection.id)) {
        bump(holding.documentsByState, doc.state);
        const file = fileOf(doc);
        if (file !== undefined) {
          files.set(file, doc.sizeBytes);
          tenantFiles.set(file, doc.sizeBytes);
        }
        if (doc.state === 'failed') {
          bump(tenant.failures, doc.errorCode ?? 'internal_error');
        }
        if (!notHeld.includes(doc.state)) {
          tenant.documents += 1;
        }
        holding.chunks += (await store.documentChunks(doc.id, { from: 0, limit: 10_000 })).length;
      }
      holding.storedBytes = [...files.values()].reduce((a, b) => a + b, 0);
      usage.collections[collection.id] = holding;
      for (const [state, n] of Object.entries(holding.documentsByState)) {
        bump(tenant.byState, state, n);
        bump(usage.byState, state, n);
      }
      tenant.chunks += holding.chunks;
    }
    tenant.bytes = [...tenantFiles.values()].reduce((a, b) => a + b, 0);
    usage.tenants[tenantId] = tenant;
    usage.chunks += tenant.chunks;
  }
  return usage;
}

/** Every figure of the stats as the store reports it: what the dashboard, quotas, status and metrics read. */
async function reported(store: Store, tenantIds: readonly string[]): Promise<Usage> {
  const usage: Usage = {
    collections: {},
    tenants: {},
    byState: nonZero(await store.countDocumentsByState()),
    chunks: await store.countChunks(),
  };
  for (const tenantId of tenantIds) {
    const stats = await store.documentStats(tenantId, []);
    const { documents, bytes, chunks } = await store.getTenantUsage(tenantId);
    const failures: Counts = {};
    for (const row of stats.failures) {
      expect(row.tenantId).toBe(tenantId);
      bump(failures, row.code, row.documents);
    }
    const byState: Counts = {};
    for (const row of stats.byCollection) {
      expect(row).toMatchObject({ tenantId, documents: expect.any(Number) });
      expect(row.documents).toBeGreaterThan(0);
      bump(byState, row.state, row.documents);
    }
    usage.tenants[tenantId] = { documents, bytes, chunks, failures, byState };
    for (const collection of await store.listCollections(tenantId)) {
      const { documents: documentsByState, storedBytes } = await store.getCollectionStats(collection.id);
      const fromStats = Object.fromEntries(
        stats.byCollection.filter((r) => r.collectionId === collection.id).map((r) => [r.state, r.documents]),
      );
      // The tenant's stats and the collection's own agree, state by state.
      expect(fromStats).toEqual(documentsByState);
      usage.collections[collection.id] = {
        documentsByState,
        storedBytes,
        chunks: await store.countChunks(collection.id),
      };
    }
  }
  const everyone = await store.documentStats(undefined, []);
  const byTenant: Record<string, Counts> = {};
  for (const row of everyone.byCollection) {
    bump((byTenant[row.tenantId] ??= {}), row.state, row.documents);
  }
  expect(byTenant).toEqual(
    Object.fromEntries(
      Object.entries(usage.tenants)
        .filter(([, t]) => Object.keys(t.byState).length > 0)
        .map(([id, t]) => [id, t.byState]),
    ),
  );
  return usage;
}

/**
 * Checks that what the store reports (the stats, quota usage, collection stats, chunk counts, counts by
 * state) is what a full recount of its documents and chunks gives. The store must hold no tenants but
 * `tenantIds`. `step` names the check in a failure.
 */
export async function expectStatsToMatchRecount(
  store: Store,
  tenantIds: readonly string[],
  step: string,
): Promise<void> {
  const expected = await recount(store, tenantIds);
  const actual = await reported(store, tenantIds);
  expect({ step, ...actual }).toEqual({ step, ...expected });
}
