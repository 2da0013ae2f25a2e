import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem.js';

/**
 * A request whose body stops arriving is answered 408 after `timeoutMs` of silence and its connection
 * closed, so that a stalled or cut-off upload cannot hold a descriptor and a temporary file forever: the
 * close ends every stream reading the body, and they clean up after themselves.
 */
export function registerBodyTimeout(server: FastifyInstance, timeoutMs: number): void {
  server.addHook('onRequest', async (request, reply) => {
    const raw = request.raw;
    const hasBody = raw.headers['transfer-encoding'] !== undefined || Number(raw.headers['content-length'] ?? 0) > 0;
    if (!hasBody || raw.complete) {
      return;
    }
    // Node emits `timeout` on the request only while its body is incomplete; the socket then stays open.
    const onIdle = (): void => {
      // An answer detaches the request from its socket, and closing the socket then no longer ends
      // the request: it is ended here, once the answer is out.
      reply.raw.once('close', () => raw.destroy());
      if (reply.sent) {
        reply.raw.destroy();
        return;
      }
      void reply.header('connection', 'close');
      void sendProblem(reply, 'request_timeout', `No byte of the body arrived for ${Math.round(timeoutMs / 1000)} s`);
    };
    // Once, when the body is in: later the socket's timer is Node's own, for idle keep-alive connections.
    const clear = (): void => {
      raw.off('timeout', onIdle).off('end', clear).off('close', clear);
      raw.socket?.setTimeout(0);
    };
    raw.setTimeout(timeoutMs, onIdle);
    raw.once('end', clear);
    raw.once('close', clear);
  });
}
