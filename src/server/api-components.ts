import type { OpenAPIV3 } from 'openapi-types';
import { z } from 'zod';
import { errorCatalogue, type ErrorCode } from '../core/errors.js';
import type { StoredEvent } from '../core/events.js';
import { documentStates } from '../core/states.js';
import type { Problem } from './problem.js';

const errorCodes = Object.keys(errorCatalogue) as [ErrorCode, ...ErrorCode[]];

/** RFC 9457 problem details as every error answer carries them. */
const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  code: z.enum(errorCodes),
  detail: z.string(),
  instance: z.string().exactOptional(),
  errors: z.unknown().exactOptional(),
});

const eventBase = { seq: z.number(), documentId: z.string(), batchId: z.string(), at: z.string() };

/** The `data` of the `document.*` events of a batch's or a document's SSE stream (its `id` is `seq`). */
const streamEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('document.state'),
    ...eventBase,
    state: z.enum(documentStates),
    attempt: z.number(),
    errorCode: z.enum(errorCodes).exactOptional(),
    errorMessage: z.string().exactOptional(),
  }),
  z.object({
    type: z.literal('document.progress'),
    ...eventBase,
    chunksEmbedded: z.number(),
    chunksTotal: z.number(),
    pagesParsed: z.number().exactOptional(),
    pagesTotal: z.number().exactOptional(),
  }),
]);

// The schemas describe the TypeScript types the server sends: a change to either fails the build.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const problemMatches: Same<z.infer<typeof problemSchema>, Problem> = true;
const eventsMatch: Same<z.infer<typeof streamEventSchema>, StoredEvent> = true;
void problemMatches;
void eventsMatch;

/**
 * Shapes the route schemas do not carry, for the OpenAPI document's `components`: the problem body of
 * every error answer, and the events of the SSE streams, so that clients generated from it know both.
 */
export const apiComponentSchemas = {
  Problem: z.toJSONSchema(problemSchema, { target: 'openapi-3.0' }),
  StreamEvent: z.toJSONSchema(streamEventSchema, { target: 'openapi-3.0' }),
} as Record<string, OpenAPIV3.SchemaObject>;
