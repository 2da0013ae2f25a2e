import { z } from 'zod';
import { SluiceError } from '../../core/errors.js';
import type { RouteContext, Server } from '../route-context.js';
import { sendProblem } from '../problem.js';

const tallyView = z.object({ files: z.number(), bytes: z.number() });
const statusView = z.object({
  workers: z.array(
    z.object({ id: z.string(), host: z.string(), pid: z.number(), started_at: z.string(), last_seen_at: z.string() }),
  ),
  queue: z.object({ waiting: z.number(), delayed: z.number(), active: z.number(), failed: z.number() }),
  documents: z.record(z.string(), z.number()),
  throughput: z.object({ completed_last_minute: z.number(), completed_last_5_minutes: z.number() }),
  /** Queued documents by what they wait for; ages in seconds of the oldest, null when none waits. */
  waiting: z.object({
    for_worker: z.object({ documents: z.number(), oldest_age_seconds: z.number().nullable() }),
    for_tenant_share: z.object({ documents: z.number(), oldest_age_seconds: z.number().nullable() }),
    retrying: z.object({ documents: z.number(), next_retry_at: z.string().nullable() }),
  }),
  /** Documents held by a worker process that has died; the queue hands them to a live one. */
  stalled: z.array(
    z.object({ document_id: z.string(), state: z.string(), worker_id: z.string().nullable(), since: z.string() }),
  ),
  /** Bytes on disk: the database now; raw files and upload staging files as the last sweep found them (null before one). */
  disk: z.object({
    database_bytes: z.number(),
    blobs: tallyView.nullable(),
    staging: tallyView.nullable(),
  }),
  /** What the last sweep removed, and when; null before the first. */
  last_sweep: z
    .object({
      at: z.string(),
      blobs_removed: z.number(),
      blob_bytes_removed: z.number(),
      staging_files_removed: z.number(),
      rows_removed: z.object({ events: z.number(), idempotency_keys: z.number(), batches: z.number() }),
      errors: z.array(z.string()),
    })
    .nullable(),
});

/** How long a readiness check may take before it counts as failing. */
const checkTimeoutMs = 1000;

/** A check's answer, or why it failed: its error, or no answer within `checkTimeoutMs`. */
async function checked(check: Promise<string>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`failing: no answer within ${checkTimeoutMs} ms`), checkTimeoutMs);
  });
  try {
    return await Promise.race([
      check.catch((error: unknown) => `failing: ${error instanceof Error ? error.message : String(error)}`),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const ageSeconds = (since: string | null, now: number): number | null =>
  since === null ? null : Math.max(0, Math.round((now - Date.parse(since)) / 1000));

/** Probes and metrics: public, outside the API's authentication. */
export function registerHealthRoutes(server: Server, { app }: RouteContext): void {
  server.get('/healthz', { schema: { tags: ['health'], security: [] } }, () => ({ status: 'ok' }));

  server.get('/readyz', { schema: { tags: ['health'], security: [] } }, async (_request, reply) => {
    // Each check has a second to answer: a dependency that is away makes readiness fail, not hang.
    const [ledger, blobs, queue, live] = await Promise.all([
      checked(app.store.ping().then(() => 'ok')),
      // The raw files' store: a bucket that refuses or is gone fails every upload.
      checked(app.blobs.ping().then(() => 'ok')),
      checked(
        app.queue
          .stats()
          .then((q) => `ok (waiting ${q.waiting}, active ${q.active}, delayed ${q.delayed}, failed ${q.failed})`),
      ),
      // Live workers anywhere on this ledger: this process's own, or `sluice worker` processes.
      checked(
        app.store
          .listLiveWorkers(app.workersLiveWithinMs)
          .then((workers) =>
            workers.length > 0 ? `ok (${workers.length} live)` : 'failing: no worker has sent a heartbeat recently',
          ),
      ),
    ]);
    const checks: Record<string, string> = { ledger, blobs, queue, workers: live };
    const failing = Object.entries(checks).filter(([, v]) => v.startsWith('failing'));
    if (failing.length > 0) {
      return sendProblem(reply, 'not_ready', `Not ready: ${failing.map(([k, v]) => `${k} ${v}`).join('; ')}`, {
        errors: checks,
      });
    }
    return { status: 'ready', checks };
  });

  server.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    void reply.type(app.metrics.registry.contentType);
    return app.metrics.registry.metrics();
  });
}

/** The status of the whole service, for admin keys. */
export function registerStatusRoutes(server: Server, { app }: RouteContext): void {
  server.get(
    '/v1/status',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Live workers, queue depths, documents per state, what queued documents wait for, stalled documents, throughput (admin keys)',
        response: { 200: statusView },
      },
    },
    async (request) => {
      if (!request.auth.admin) {
        throw new SluiceError('forbidden', 'Only an admin key may see the status of the whole service');
      }
      const status = await app.status();
      const now = Date.now();
      return {
        workers: status.workers.map((w) => ({
          id: w.id,
          host: w.host,
          pid: w.pid,
          started_at: w.startedAt,
          last_seen_at: w.lastSeenAt,
        })),
        queue: status.queue,
        documents: Object.fromEntries(Object.entries(status.documents).map(([k, v]) => [k, v ?? 0])),
        throughput: {
          completed_last_minute: status.throughput.lastMinute,
          completed_last_5_minutes: status.throughput.lastFiveMinutes,
        },
        waiting: {
          for_worker: {
            documents: status.waiting.forWorker.documents,
            oldest_age_seconds: ageSeconds(status.waiting.forWorker.oldestSince, now),
          },
          for_tenant_share: {
            documents: status.waiting.forTenantShare.documents,
            oldest_age_seconds: ageSeconds(status.waiting.forTenantShare.oldestSince, now),
          },
          retrying: {
            documents: status.waiting.retrying.documents,
            next_retry_at: status.waiting.retrying.nextRetryAt,
          },
        },
        stalled: status.stalled.map((s) => ({
          document_id: s.documentId,
          state: s.state,
          worker_id: s.workerId,
          since: s.since,
        })),
        disk: {
          database_bytes: status.disk.databaseBytes,
          blobs: status.disk.blobs,
          staging: status.disk.staging,
        },
        last_sweep: status.lastSweep && {
          at: status.lastSweep.at,
          blobs_removed: status.lastSweep.blobs.removed,
          blob_bytes_removed: status.lastSweep.blobs.bytes,
          staging_files_removed: status.lastSweep.staging.files,
          rows_removed: {
            events: status.lastSweep.rows.events,
            idempotency_keys: status.lastSweep.rows.idempotencyKeys,
            batches: status.lastSweep.rows.batches,
          },
          errors: status.lastSweep.errors,
        },
      };
    },
  );
}
