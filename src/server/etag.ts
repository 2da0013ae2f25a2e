import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Answers 304 when the client already holds this representation, so pollers cost one hash and no
 * body. Returns the body to send otherwise, with its ETag set.
 */
export function withEtag<T>(request: FastifyRequest, reply: FastifyReply, body: T): T | undefined {
  const etag = `W/"${createHash('sha1').update(JSON.stringify(body)).digest('base64url')}"`;
  void reply.header('etag', etag).header('cache-control', 'no-cache');
  if (request.headers['if-none-match'] === etag) {
    void reply.status(304);
    return undefined;
  }
  return body;
}
