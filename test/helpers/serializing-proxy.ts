import { connect, createServer, type Server, type Socket } from 'node:net';

/** A FIFO lock: `acquire` resolves with the function that releases it. */
function createLock() {
  let tail = Promise.resolve();
  return {
    acquire(): Promise<() => void> {
      let release!: () => void;
      const next = new Promise<void>((resolve) => (release = resolve));
      const turn = tail.then(() => release);
      tail = tail.then(() => next);
      return turn;
    },
  };
}

/**
 * Splits a Postgres wire stream into whole messages. The client's first message (startup) has no
 * type byte; every later one is a type byte and a 32-bit length that counts itself.
 */
function createFramer(untyped: boolean, onMessage: (message: Buffer) => void) {
  let buffer = Buffer.alloc(0);
  let firstUntyped = untyped;
  return (chunk: Buffer): void => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const headerBytes = firstUntyped ? 4 : 5;
      if (buffer.length < headerBytes) {
        return;
      }
      const size = firstUntyped ? buffer.readInt32BE(0) : 1 + buffer.readInt32BE(1);
      if (buffer.length < size) {
        return;
      }
      const message = buffer.subarray(0, size);
      buffer = buffer.subarray(size);
      firstUntyped = false;
      onMessage(message);
    }
  };
}

/**
 * A TCP proxy in front of pglite-socket that lets one client at a time talk to PGlite, from the first
 * message of a request until PGlite is ready for the next one outside a transaction
 * (ReadyForQuery with status `I`). PGlite has one backend session; pglite-socket keeps transactions
 * apart, but interleaves the Parse/Bind/Execute messages of concurrent extended-protocol queries
 * from different connections, which is what a `pg.Pool` in several processes sends.
 */
export async function startSerializingProxy(target: {
  host: string;
  port: number;
}): Promise<{ port: number; close(): Promise<void> }> {
  const lock = createLock();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    const backend = connect(target.port, target.host);
    sockets.add(backend);
    // Requests are many small messages: without this, Nagle's algorithm adds tens of ms to each.
    client.setNoDelay(true);
    backend.setNoDelay(true);
    let release: (() => void) | undefined;
    let pending: Promise<void> = Promise.resolve();
    let closed = false;
    const letGo = (): void => {
      release?.();
      release = undefined;
    };
    const frameClient = createFramer(true, (message) => {
      const type = message.length > 0 ? String.fromCharCode(message[0] as number) : '';
      pending = pending.then(async () => {
        // Terminate needs no answer, so it must not take the lock that only an answer gives back.
        if (!release && type !== 'X') {
          release = await lock.acquire();
        }
        // A client that went away while it waited for its turn must not keep the lock.
        if (closed) {
          letGo();
          return;
        }
        backend.write(message);
      });
    });
    const frameBackend = createFramer(false, (message) => {
      client.write(message);
      if (message[0] === 0x5a /* Z */ && message[5] === 0x49 /* I */) {
        letGo();
      }
    });
    client.on('data', frameClient);
    backend.on('data', frameBackend);
    const end = (): void => {
      closed = true;
      letGo();
      client.destroy();
      backend.destroy();
      sockets.delete(client);
      sockets.delete(backend);
    };
    client.on('close', end);
    backend.on('close', end);
    client.on('error', end);
    backend.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}
