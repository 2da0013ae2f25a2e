import { SluiceError } from '../../core/errors.js';

/**
 * SQLSTATEs that mean the server ended the session or cannot take one (shut down, restarted, session
 * terminated, connection failure, too many connections), and socket errors: the connection failed,
 * not the statement.
 */
const lostConnectionCodes = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
/** What node-postgres says when its socket ends or a connection cannot be had in time. */
const lostConnectionMessages =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable/i;

export function isConnectionLost(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && lostConnectionCodes.has(code)) ||
    (typeof message === 'string' && lostConnectionMessages.test(message))
  );
}

/** A lost connection becomes `dependency_unavailable` (transient: the job retries, a request answers 503). */
export function asUnavailable(error: unknown): unknown {
  if (!isConnectionLost(error)) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SluiceError('dependency_unavailable', `PostgreSQL is unavailable: ${message}`, { cause: error });
}
