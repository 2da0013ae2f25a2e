import { z } from 'zod';
import type { ScanReport, SourceRecord } from '../ports/store.js';

export const scanView = z.object({
  id: z.string(),
  batch_id: z.string(),
  state: z.enum(['running', 'done', 'failed', 'interrupted']),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  objects: z.object({
    listed: z.number(),
    matched: z.number(),
    unchanged: z.number(),
    ingested: z.number(),
    pruned: z.number(),
    failed: z.number(),
  }),
  failures: z.array(z.object({ key: z.string(), code: z.string(), message: z.string() })),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

export const sourceView = z.object({
  id: z.string(),
  collection_id: z.string(),
  type: z.literal('s3'),
  url: z.string(),
  include: z.array(z.string()),
  exclude: z.array(z.string()),
  created_at: z.string(),
  /** The running or last scan. */
  scan: scanView.nullable(),
});

export function toScanView(r: ScanReport): z.infer<typeof scanView> {
  return {
    id: r.id,
    batch_id: r.batchId,
    state: r.state,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    objects: {
      listed: r.listed,
      matched: r.matched,
      unchanged: r.unchanged,
      ingested: r.ingested,
      pruned: r.pruned,
      failed: r.failed,
    },
    failures: r.failures,
    error: r.error,
  };
}

export function toSourceView(s: SourceRecord): z.infer<typeof sourceView> {
  return {
    id: s.id,
    collection_id: s.collectionId,
    type: s.type,
    url: s.url,
    include: s.include,
    exclude: s.exclude,
    created_at: s.createdAt,
    scan: s.scan && toScanView(s.scan),
  };
}
