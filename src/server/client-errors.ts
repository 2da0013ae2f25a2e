import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../core/errors.js';
import { problemOf, sendProblem } from './problem.js';

/**
 * Requests Node's HTTP parser refuses before any route sees them (a bad request line or header, headers
 * over the size limit, headers too slow): answered as problem+json like every other error, then the
 * connection is closed, since what follows on it cannot be trusted.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (inFlight && !inFlight.writableFinished) {
    // Garbage after a whole request whose answer is still being made (pipelined): that answer goes
    // out first, whole, then the connection closes; a second answer on the socket would corrupt it.
    if (inFlight.req.complete) {
      inFlight.once('close', () => socket.destroy());
      return;
    }
    // The request's own body was cut off: it is answered here, unless its answer has begun.
    if (inFlight.headersSent) {
      socket.destroy();
      return;
    }
  }
  const [code, detail]: [ErrorCode, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['request_timeout', 'The request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? ['header_too_large', 'The request line and headers are over the size limit']
        : ['bad_request', 'The HTTP request could not be parsed'];
  if (socket.writable) {
    const problem = problemOf(code, detail);
    const body = JSON.stringify(problem);
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Errors Fastify's router raises before routing; the path is not echoed back. */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendProblem(reply, 'uri_too_long', 'A part of the path is longer than the router accepts');
  } else if (error.code === 'FST_ERR_BAD_URL') {
    void sendProblem(reply, 'bad_request', 'The path is not valid percent-encoding');
  } else {
    void sendProblem(reply, 'bad_request', 'The request could not be routed');
  }
}
