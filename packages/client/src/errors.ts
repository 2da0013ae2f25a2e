import type { ErrorCode, Problem } from './types.js';

/**
 * An answer of the API that is not a success. `code` is the problem's stable code (`http_error` when
 * the body was not problem+json, as from a proxy); `retryAfterMs` is the server's `Retry-After`.
 */
export class SluiceApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | 'http_error';
  readonly problem: Problem | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(status: number, body: unknown, retryAfterMs?: number) {
    const problem = isProblem(body) ? body : undefined;
    super(problem ? `${problem.detail} [${problem.code}]` : `The server answered ${status}`);
    this.name = 'SluiceApiError';
    this.status = status;
    this.code = problem?.code ?? 'http_error';
    this.problem = problem;
    this.retryAfterMs = retryAfterMs;
  }
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as Problem).code === 'string';
}

/** The error an answer stands for, its body read (and so released). */
export async function errorOf(response: Response): Promise<SluiceApiError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return new SluiceApiError(response.status, body, retryAfterMs(response.headers.get('retry-after')));
}

/** `Retry-After` in milliseconds, from seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') {
    return undefined;
  }
  if (/^\s*\d+\s*$/.test(header)) {
    return Number(header) * 1000;
  }
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
