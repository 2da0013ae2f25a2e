import { ErrorCode, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isSluiceError, toSluiceError, type SluiceError } from '../core/errors.js';
import type { Logger } from '../ports/logger.js';

/** MCP's JSON-RPC code for a resource that does not exist (the SDK names no constant for it). */
const resourceNotFound = -32002;

/**
 * A failed request as the SDK answers what a handler throws: this `code` and `data` in the JSON-RPC
 * error. Not an `McpError`, whose message the client would prefix a second time.
 */
class RequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message);
  }
}

/** A tool's answer: text for a model to read, and the same as data for programs. */
export function toolAnswer(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** A failure as Sluice tells it: known errors with their message, anything else logged and told by code only. */
function described(error: unknown, logger: Logger, what: string): { error: SluiceError; message: string } {
  if (isSluiceError(error)) {
    return { error, message: error.message };
  }
  logger.error({ err: error, what }, 'MCP request failed');
  return { error: toSluiceError(error), message: 'An unexpected error occurred; it has been logged.' };
}

/**
 * Runs a tool's body; a failure becomes an MCP tool error (`isError`) with Sluice's stable code in its
 * text and in `_meta`, as the API's problem+json carries it, so one bad call never ends the session.
 */
export async function answerTool(
  logger: Logger,
  tool: string,
  run: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  try {
    return await run();
  } catch (thrown) {
    const { error, message } = described(thrown, logger, `tool ${tool}`);
    return {
      isError: true,
      content: [{ type: 'text', text: `error [${error.code}]: ${message}` }],
      _meta: { 'sluice.dev/error': { code: error.code, status: error.httpStatus, retryable: error.retryable } },
    };
  }
}

/** Runs a resource read; a failure becomes a JSON-RPC error whose `data` carries Sluice's code. */
export async function answerResource<T>(logger: Logger, uri: URL, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (thrown) {
    const { error, message } = described(thrown, logger, `resource ${uri.href}`);
    const code =
      error.code === 'not_found'
        ? resourceNotFound
        : error.httpStatus < 500
          ? ErrorCode.InvalidParams
          : ErrorCode.InternalError;
    throw new RequestError(code, `error [${error.code}]: ${message}`, {
      code: error.code,
      status: error.httpStatus,
      retryable: error.retryable,
    });
  }
}
