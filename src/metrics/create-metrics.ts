import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Embedder } from '../ports/embedder.js';
import type { EventBus } from '../ports/event-bus.js';
import type { JobQueue } from '../ports/queue.js';
import type { Store } from '../ports/store.js';

export interface Metrics {
  registry: Registry;
  uploads: Counter;
  uploadBytes: Counter;
  /** Wraps an embedder so its calls and errors are counted (and told to `observe`, if given). */
  instrumentEmbedder(embedder: Embedder, observe?: (outcome: EmbedderCallOutcome) => void): Embedder;
  /** Counts a call made elsewhere: by the embedder of this process's worker thread. */
  countEmbedderCall(outcome: EmbedderCallOutcome): void;
}

export type EmbedderCallOutcome = 'ok' | 'error';

/**
 * Prometheus metrics: uploads, documents by state and queue depth (read at scrape time), how long each
 * stage takes (from the event stream), and embedder calls and errors.
 */
export function createMetrics(deps: { store: Store; queue: JobQueue; events: EventBus }): Metrics {
  const registry = new Registry();
  const uploads = new Counter({
    name: 'sluice_uploads_total',
    help: 'Files received by upload',
    registers: [registry],
  });
  const uploadBytes = new Counter({
    name: 'sluice_upload_bytes_total',
    help: 'Bytes received by upload',
    registers: [registry],
  });
  new Gauge({
    name: 'sluice_documents',
    help: 'Documents by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [state, n] of Object.entries(await deps.store.countDocumentsByState())) {
        this.set({ state }, n ?? 0);
      }
    },
  });
  new Gauge({
    name: 'sluice_queue_jobs',
    help: 'Jobs in this process queue by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const stats = await deps.queue.stats();
      for (const [state, n] of Object.entries(stats) as [string, number][]) {
        this.set({ state }, n);
      }
    },
  });
  new Gauge({
    name: 'sluice_disk_bytes',
    help: 'Bytes on disk by kind: the database now; raw files and upload staging files as the last sweep found them',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const [databaseBytes, sweep] = await Promise.all([deps.store.databaseBytes(), deps.store.lastSweep()]);
      this.set({ kind: 'database' }, databaseBytes);
      if (sweep) {
        this.set({ kind: 'blobs' }, sweep.disk.blobs.bytes);
        this.set({ kind: 'staging' }, sweep.disk.staging.bytes);
      }
    },
  });
  new Gauge({
    name: 'sluice_sweep_last_removed',
    help: 'What the last sweep removed, by kind (raw files and their bytes, staging files, rows)',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const sweep = await deps.store.lastSweep();
      if (!sweep) {
        return;
      }
      const removed: Record<string, number> = {
        blobs: sweep.blobs.removed,
        blob_bytes: sweep.blobs.bytes,
        staging_files: sweep.staging.files,
        staging_bytes: sweep.staging.bytes,
        events: sweep.rows.events,
        idempotency_keys: sweep.rows.idempotencyKeys,
        batches: sweep.rows.batches,
      };
      for (const [kind, n] of Object.entries(removed)) {
        this.set({ kind }, n);
      }
    },
  });
  new Gauge({
    name: 'sluice_sweep_last_timestamp_seconds',
    help: 'When the last sweep finished (Unix time)',
    registers: [registry],
    async collect() {
      const sweep = await deps.store.lastSweep();
      if (sweep) {
        this.set(Date.parse(sweep.at) / 1000);
      }
    },
  });
  const stageDuration = new Histogram({
    name: 'sluice_stage_duration_seconds',
    help: 'Time a document spent in each stage',
    labelNames: ['stage'],
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60, 300],
    registers: [registry],
  });
  const embedderCalls = new Counter({
    name: 'sluice_embedder_calls_total',
    help: 'Embedder calls by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });

  // A stage ends when the document's next state event arrives; remember when each began.
  const stageStart = new Map<string, { state: string; at: number }>();
  deps.events.subscribe((event) => {
    if (event.type !== 'document.state') {
      return;
    }
    const now = Date.parse(event.at);
    const previous = stageStart.get(event.documentId);
    if (previous && previous.state !== 'queued') {
      stageDuration.observe({ stage: previous.state }, (now - previous.at) / 1000);
    }
    if (['completed', 'failed', 'cancelled', 'skipped'].includes(event.state)) {
      stageStart.delete(event.documentId);
    } else {
      stageStart.set(event.documentId, { state: event.state, at: now });
    }
  });

  return {
    registry,
    uploads,
    uploadBytes,
    instrumentEmbedder: (embedder, observe) => {
      const count = (outcome: EmbedderCallOutcome): void => {
        embedderCalls.inc({ outcome });
        observe?.(outcome);
      };
      return {
        spec: embedder.spec,
        async embed(texts, signal) {
          try {
            const vectors = await embedder.embed(texts, signal);
            count('ok');
            return vectors;
          } catch (error) {
            count('error');
            throw error;
          }
        },
      };
    },
    countEmbedderCall: (outcome) => embedderCalls.inc({ outcome }),
  };
}
