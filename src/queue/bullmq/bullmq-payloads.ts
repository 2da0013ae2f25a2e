import { z } from 'zod';
import { errorCatalogue, type ErrorCode } from '../../core/errors.js';
import type { BatchResult } from '../../ports/queue.js';

/** Payloads are validated where they come out of Redis: another version of Sluice may have written them. */
export const documentPayload = z.object({
  documentId: z.string().min(1),
  priority: z.number().int().optional(),
  /** Set while the document's batches run; the job then runs again to fan in. */
  fanIn: z.object({ attemptId: z.string(), mediaType: z.string(), batches: z.number().int().min(0) }).optional(),
});
export type DocumentPayload = z.infer<typeof documentPayload>;

const chunk = z.object({
  index: z.number().int(),
  text: z.string(),
  tokenCount: z.number().int(),
  charStart: z.number().int(),
  charEnd: z.number().int(),
  page: z.number().int().nullable(),
});

export const batchPayload = z.object({
  documentId: z.string().min(1),
  attemptId: z.string().min(1),
  batch: z.number().int().min(0),
  chunks: z.array(chunk),
  staged: z.object({ from: z.number().int().min(0), to: z.number().int().min(0) }).optional(),
});

/** A batch result as JSON can carry it: vectors as base64 of their float32 bytes (exact, and compact). */
const wireResult = z.object({
  attemptId: z.string(),
  batch: z.number().int(),
  kind: z.enum(['embedded', 'failed', 'superseded']),
  chunks: z.array(chunk.extend({ vector: z.string() })).optional(),
  code: z.string().optional(),
  message: z.string().optional(),
  chunkIndexes: z.array(z.number().int()).optional(),
});
type WireResult = z.infer<typeof wireResult>;

export function encodeBatchResult(result: BatchResult): WireResult {
  const { attemptId, batch } = result;
  switch (result.kind) {
    case 'embedded':
      return {
        attemptId,
        batch,
        kind: 'embedded',
        chunks: result.chunks.map((c) => ({
          ...c,
          vector: Buffer.from(c.vector.buffer, c.vector.byteOffset, c.vector.byteLength).toString('base64'),
        })),
      };
    case 'failed':
      return {
        attemptId,
        batch,
        kind: 'failed',
        code: result.code,
        message: result.message,
        chunkIndexes: result.chunkIndexes,
      };
    case 'superseded':
      return { attemptId, batch, kind: 'superseded' };
  }
}

export function decodeBatchResult(value: unknown): BatchResult {
  const wire = wireResult.parse(value);
  const { attemptId, batch } = wire;
  if (wire.kind === 'embedded') {
    return {
      attemptId,
      batch,
      kind: 'embedded',
      chunks: (wire.chunks ?? []).map(({ vector, ...c }) => {
        // Copied into a fresh buffer: a decoded Buffer need not be aligned for Float32Array.
        const bytes = new Uint8Array(Buffer.from(vector, 'base64'));
        return { ...c, vector: new Float32Array(bytes.buffer) };
      }),
    };
  }
  if (wire.kind === 'failed') {
    const code = wire.code !== undefined && wire.code in errorCatalogue ? (wire.code as ErrorCode) : 'internal_error';
    return {
      attemptId,
      batch,
      kind: 'failed',
      code,
      message: wire.message ?? '',
      chunkIndexes: wire.chunkIndexes ?? [],
    };
  }
  return { attemptId, batch, kind: 'superseded' };
}
