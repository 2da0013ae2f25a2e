import type { FastifyReply, FastifyRequest } from 'fastify';
import { SluiceError } from '../core/errors.js';
import type { ApiKeyRecord } from '../core/types.js';
import type { AuthFailureLimiter } from './auth-failure-limiter.js';

const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * The API's authentication, as an `onRequest` hook of the scope that holds every API route: the key
 * is looked up on each request (a revoked key fails on the next one), and failures are limited per
 * client address.
 */
export function createAuthHook(deps: {
  authenticate(secret: string): Promise<ApiKeyRecord | undefined>;
  failures: AuthFailureLimiter;
}) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const secret = bearer.exec(request.headers.authorization ?? '')?.[1];
    const key = secret ? await deps.authenticate(secret) : undefined;
    if (key) {
      request.auth = key;
      return;
    }
    const waitMs = deps.failures.fail(request.ip);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      void reply.header('retry-after', String(seconds));
      throw new SluiceError('rate_limited', `Too many failed authentications from this address; retry in ${seconds} s`);
    }
    throw new SluiceError('unauthorized', 'Send a valid API key as `Authorization: Bearer <key>`');
  };
}
