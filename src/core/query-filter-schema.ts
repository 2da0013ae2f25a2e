import { z } from 'zod';
import { metadataLimits } from './document-metadata.js';
import { filterLimits } from './query-filter.js';

const scalar = z.union([z.string().max(metadataLimits.stringLength), z.number(), z.boolean()]);
const values = z.array(scalar).min(1).max(filterLimits.values);
const bound = z.union([z.string().max(metadataLimits.stringLength), z.number()]);
const oneOrMany = z.union([z.string().max(200), z.array(z.string().max(200)).min(1).max(filterLimits.values)]);

/**
 * A query's filter: every condition given must hold. Unknown names are refused rather than ignored,
 * so that a misspelt condition does not widen a search.
 */
export const queryFilterSchema = z
  .object({
    document_ids: z.array(z.string()).max(1000).optional(),
    source_prefix: z.string().max(2000).optional().describe('Only documents whose source starts with this'),
    media_type: oneOrMany.optional().describe('Media type, or a list of them'),
    language: oneOrMany.optional().describe('Detected language (ISO 639-1, e.g. "ja"), or a list of them'),
    created_after: z.string().optional().describe('Uploaded at or after this time (ISO 8601)'),
    created_before: z.string().optional().describe('Uploaded before this time (ISO 8601)'),
    metadata: z
      .record(
        z.string().max(metadataLimits.keyLength),
        z.union([
          scalar,
          values,
          z
            .object({
              in: values.optional(),
              gt: bound.optional(),
              gte: bound.optional(),
              lt: bound.optional(),
              lte: bound.optional(),
            })
            .strict(),
        ]),
      )
      .optional()
      .describe('Per key: a value, a list of values (any of them), or {in} / {gt, gte, lt, lte} bounds'),
  })
  .strict();
