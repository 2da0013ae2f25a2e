import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardHttp } from './forward-http.js';

/**
 * An HTTP proxy in front of a server that turns away the next `refuse` requests it is told to, as a
 * gateway or load balancer does under load: the status and `Retry-After` it is given, a problem body,
 * and the request's body left unread. Every other request goes through.
 */
export async function startRefusingProxy(target: string): Promise<{
  url: string;
  /** Turns away the next `count` requests. */
  refuse(count: number, status: 429 | 503, retryAfter?: string): void;
  /** Requests seen, refused or not, with when they came. */
  seen: { method: string; path: string; at: number; refused: boolean }[];
  close(): Promise<void>;
}> {
  const upstream = new URL(target);
  let pending = { count: 0, status: 503 as 429 | 503, retryAfter: undefined as string | undefined };
  const seen: { method: string; path: string; at: number; refused: boolean }[] = [];
  const server = createServer((req, res) => {
    const refused = pending.count > 0;
    seen.push({ method: req.method ?? '', path: req.url ?? '', at: Date.now(), refused });
    if (refused) {
      pending.count--;
      const status = pending.status;
      res.writeHead(status, {
        'content-type': 'application/problem+json',
        connection: 'close',
        ...(pending.retryAfter !== undefined ? { 'retry-after': pending.retryAfter } : {}),
      });
      res.end(JSON.stringify({ code: status === 429 ? 'rate_limited' : 'not_ready', detail: 'Busy', status }));
      req.resume();
      return;
    }
    forwardHttp(req, res, { host: upstream.hostname, port: Number(upstream.port) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refuse(count, status, retryAfter) {
      pending = { count, status, retryAfter };
    },
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
