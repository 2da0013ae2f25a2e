import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP forwarder that can cut every connection through it at once, as a database restart or
 * `pg_terminate_backend` does to its clients' sockets; new connections go through as before.
 */
export async function startCuttingProxy(target: {
  host: string;
  port: number;
}): Promise<{ port: number; cut(): number; close(): Promise<void> }> {
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const backend = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, backend];
    pairs.add(pair);
    client.setNoDelay(true);
    backend.setNoDelay(true);
    client.pipe(backend);
    backend.pipe(client);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      backend.destroy();
    };
    for (const socket of pair) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    cut() {
      const n = pairs.size;
      // A reset, not a clean end: the client sees its connection fail mid-conversation.
      pairs.forEach(([client, backend]) => {
        client.resetAndDestroy();
        backend.destroy();
      });
      pairs.clear();
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        pairs.forEach(([client, backend]) => {
          client.destroy();
          backend.destroy();
        });
        server.close(() => resolve());
      }),
  };
}
