import type { FastifyError, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { errorCatalogue, isSluiceError, type ErrorCode } from '../core/errors.js';

/** RFC 9457 problem details, with the stable Sluice code beside the standard members. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
  errors?: unknown;
}

export function problemOf(code: ErrorCode, detail: string, extra: Partial<Problem> = {}): Problem {
  const entry = errorCatalogue[code];
  return {
    type: `https://sluice.dev/problems/${code}`,
    title: entry.title,
    status: entry.httpStatus,
    code,
    detail,
    ...extra,
  };
}

export function sendProblem(
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  extra: Partial<Problem> = {},
): FastifyReply {
  const problem = problemOf(code, detail, extra);
  return reply.status(problem.status).type('application/problem+json').send(problem);
}

// Fastify and plugin errors that are the client's doing, by their code.
const fastifyCodes: Record<string, ErrorCode> = {
  FST_REQ_FILE_TOO_LARGE: 'file_too_large',
  FST_FILES_LIMIT: 'too_many_files',
  FST_PARTS_LIMIT: 'too_many_files',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'invalid_multipart',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'invalid_input',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_input',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_input',
  FST_ERR_CTP_BODY_TOO_LARGE: 'request_too_large',
  FST_ERR_VALIDATION: 'invalid_input',
};

/**
 * The one translation from anything thrown in a route to a problem response. Messages of unexpected
 * errors stay in the log; the client gets the code and a generic detail, never a stack.
 */
export function toProblem(error: unknown): { code: ErrorCode; detail: string; errors?: unknown; unexpected: boolean } {
  if (isSluiceError(error)) {
    return { code: error.code, detail: error.message, unexpected: false };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    return { code: 'invalid_input', detail: error.message, errors: error.validation, unexpected: false };
  }
  const fastifyError = error as Partial<FastifyError>;
  const code = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined;
  if (code) {
    return { code, detail: fastifyError.message ?? code, unexpected: false };
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { code: 'invalid_input', detail: fastifyError.message ?? 'Bad request', unexpected: false };
  }
  return { code: 'internal_error', detail: 'An unexpected error occurred; it has been logged.', unexpected: true };
}
