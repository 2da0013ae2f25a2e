import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import { serviceStats, tenantStats, type Throughput } from '../../services/usage-stats.js';
import type { RouteContext, Server } from '../route-context.js';

const counts = z.record(z.string(), z.number());
const throughput = z.object({ documents: z.number(), chunks: z.number() });
const windows = z.object({ last_hour: throughput, last_24_hours: throughput });
const windowsView = (t: { lastHour: Throughput; lastDay: Throughput }) => ({
  last_hour: t.lastHour,
  last_24_hours: t.lastDay,
});
const numbers = (record: Partial<Record<string, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(record).map(([key, n]) => [key, n ?? 0]));

/** What a collection, or a tenant, holds. */
const holding = z.object({
  id: z.string(),
  name: z.string(),
  documents_by_state: counts,
  chunks: z.number(),
  stored_bytes: z.number(),
});
const holdingView = (h: {
  id: string;
  name: string;
  documentsByState: Partial<Record<string, number>>;
  chunks: number;
  storedBytes: number;
}) => ({
  id: h.id,
  name: h.name,
  documents_by_state: numbers(h.documentsByState),
  chunks: h.chunks,
  stored_bytes: h.storedBytes,
});

const tenantStatsView = z.object({
  documents_by_state: counts,
  /** Published chunks. */
  chunks: z.number(),
  /** Bytes of the raw files the tenant's documents keep, each file once. */
  stored_bytes: z.number(),
  /** Failed documents by error code. */
  failures_by_code: counts,
  /** Documents completed in each window, and their chunks. */
  throughput: windows,
  /** The minutes of the last hour that completed any document (ISO, UTC, to the minute), oldest first. */
  throughput_per_minute: z.array(z.object({ minute: z.string(), documents: z.number(), chunks: z.number() })),
  collections: z.array(holding),
});

const serviceStatsView = z.object({
  documents_by_state: counts,
  failures_by_code: counts,
  throughput: windows,
  /** Jobs in the queue by state (waiting, active, delayed, …). */
  queue: counts,
  tenants: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      documents_by_state: counts,
      chunks: z.number(),
      stored_bytes: z.number(),
    }),
  ),
});

/** Usage and throughput: the key's tenant's, and the whole service's for admin keys. */
export function registerStatsRoutes(server: Server, { app }: RouteContext): void {
  server.get(
    '/v1/stats',
    {
      schema: {
        tags: ['stats'],
        summary:
          "The key's tenant: documents by state, chunks, stored bytes, failures by code, throughput over 1 h and 24 h, per collection",
        response: { 200: tenantStatsView },
      },
    },
    async (request) => {
      const stats = await tenantStats(app.store, request.auth.tenantId);
      return {
        documents_by_state: numbers(stats.documentsByState),
        chunks: stats.chunks,
        stored_bytes: stats.storedBytes,
        failures_by_code: numbers(stats.failuresByCode),
        throughput: windowsView(stats.throughput),
        throughput_per_minute: stats.perMinute,
        collections: stats.collections.map(holdingView),
      };
    },
  );

  server.get(
    '/v1/admin/stats',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Every tenant: documents by state, chunks, bytes; failures by code, throughput, queue depths (admin keys)',
        response: { 200: serviceStatsView },
      },
    },
    async (request) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may see every tenant');
      }
      const [stats, status] = await Promise.all([serviceStats(app.store), app.status()]);
      return {
        documents_by_state: numbers(stats.documentsByState),
        failures_by_code: numbers(stats.failuresByCode),
        throughput: windowsView(stats.throughput),
        queue: { ...status.queue },
        tenants: stats.tenants.map(holdingView),
      };
    },
  );
}
