import type { ErrorCode } from '../core/errors.js';
import type { DocumentState } from '../core/states.js';
import type { DocumentStats, Store } from '../ports/store.js';

type ByState = Partial<Record<DocumentState, number>>;
type ByCode = Partial<Record<ErrorCode, number>>;

/** Documents and chunks completed in a window. */
export interface Throughput {
  documents: number;
  chunks: number;
}

export interface CollectionUsage {
  id: string;
  name: string;
  documentsByState: ByState;
  chunks: number;
  storedBytes: number;
}

/** What one tenant holds and has done: `GET /v1/stats`. */
export interface TenantStats {
  documentsByState: ByState;
  chunks: number;
  storedBytes: number;
  failuresByCode: ByCode;
  throughput: { lastHour: Throughput; lastDay: Throughput };
  /** Each minute of the last hour that completed any: documents and chunks (minutes as `2026-12-07T13:05`, UTC). */
  perMinute: (Throughput & { minute: string })[];
  collections: CollectionUsage[];
}

/** Every tenant's, for admins: `GET /v1/admin/stats` (the queue's depths are added by the caller). */
export interface ServiceStats {
  documentsByState: ByState;
  failuresByCode: ByCode;
  throughput: { lastHour: Throughput; lastDay: Throughput };
  tenants: { id: string; name: string; documentsByState: ByState; chunks: number; storedBytes: number }[];
}

const hourMs = 3_600_000;

function add<K extends string>(into: Partial<Record<K, number>>, key: K, n: number): void {
  into[key] = (into[key] ?? 0) + n;
}

/** Documents by state in all and by `keyOf` (a collection, a tenant), and failures by code. */
function tally(stats: DocumentStats, keyOf: (row: DocumentStats['byCollection'][number]) => string) {
  const documentsByState: ByState = {};
  const failuresByCode: ByCode = {};
  const byKey = new Map<string, ByState>();
  for (const row of stats.byCollection) {
    add(documentsByState, row.state, row.documents);
    const own = byKey.get(keyOf(row)) ?? {};
    add(own, row.state, row.documents);
    byKey.set(keyOf(row), own);
  }
  for (const row of stats.failures) {
    add(failuresByCode, row.code, row.documents);
  }
  return { documentsByState, failuresByCode, byKey };
}

const windows = (now: Date): Date[] => [new Date(now.getTime() - hourMs), new Date(now.getTime() - 24 * hourMs)];

function throughputOf(stats: DocumentStats): TenantStats['throughput'] {
  const [lastHour = { documents: 0, chunks: 0 }, lastDay = { documents: 0, chunks: 0 }] = stats.completedSince;
  return { lastHour, lastDay };
}

/** A tenant's documents by state, chunks and bytes, per collection and in all, failures by code, and throughput. */
export async function tenantStats(store: Store, tenantId: string, now = new Date()): Promise<TenantStats> {
  const [stats, collections, usage] = await Promise.all([
    store.documentStats(tenantId, windows(now)),
    store.listCollections(tenantId),
    store.getTenantUsage(tenantId),
  ]);
  const { documentsByState, failuresByCode, byKey: byCollection } = tally(stats, (row) => row.collectionId);
  const perCollection = await Promise.all(
    collections.map(async (collection) => ({
      id: collection.id,
      name: collection.name,
      documentsByState: byCollection.get(collection.id) ?? {},
      chunks: await store.countChunks(collection.id),
      storedBytes: (await store.getCollectionStats(collection.id)).storedBytes,
    })),
  );
  return {
    documentsByState,
    chunks: usage.chunks,
    storedBytes: usage.bytes,
    failuresByCode,
    throughput: throughputOf(stats),
    perMinute: stats.perMinute,
    collections: perCollection,
  };
}

/** Every tenant that holds documents, with the totals and throughput of the whole service. */
export async function serviceStats(store: Store, now = new Date()): Promise<ServiceStats> {
  const stats = await store.documentStats(undefined, windows(now));
  const { documentsByState, failuresByCode, byKey: byTenant } = tally(stats, (row) => row.tenantId);
  const tenants = await Promise.all(
    [...byTenant].map(async ([id, states]) => {
      const [tenant, usage] = await Promise.all([store.getTenant(id), store.getTenantUsage(id)]);
      return { id, name: tenant?.name ?? id, documentsByState: states, chunks: usage.chunks, storedBytes: usage.bytes };
    }),
  );
  return { documentsByState, failuresByCode, throughput: throughputOf(stats), tenants };
}
