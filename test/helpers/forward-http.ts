import { request, type IncomingMessage, type ServerResponse } from 'node:http';

/** Sends a request on to `target` as it came and its answer back as it comes; a failed upstream cuts the client. */
export function forwardHttp(req: IncomingMessage, res: ServerResponse, target: { host: string; port: number }): void {
  const upstream = request(
    { host: target.host, port: target.port, path: req.url, method: req.method, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}
