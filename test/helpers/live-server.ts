import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startCli } from './run-cli.js';

/** A real `sluice serve` process on a free port, with its own data folder, seen from outside. */
export interface LiveServer {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  adminKey: string;
  collectionId: string;
  /** Descriptors the process holds now. */
  fdCount(): number;
  /** Files under the blob store's temporary folder. */
  tempFiles(): string[];
  /** Raw files stored under a key. */
  blobCount(): number;
  /** Documents the collection holds, as the API lists them. */
  documentCount(): Promise<number>;
  alive(): boolean;
  stop(): Promise<void>;
  /** SIGKILL, once the process (not its parse processes) has exited. */
  kill(): Promise<void>;
}

/** A server started again on the data folder of an earlier one, with its admin key and collection. */
export interface Restart {
  dataDir: string;
  adminKey: string;
  collectionId: string;
}

/** `flags` go to `sluice serve` after the ones every live server gets. */
export async function startLiveServer(
  env: Record<string, string> = {},
  flags: string[] = [],
  restart?: Restart,
): Promise<LiveServer> {
  const dataDir = restart?.dataDir ?? mkdtempSync(join(tmpdir(), 'sluice-live-'));
  const port = await freePort();
  const serve = startCli(
    ['serve', '--port', String(port), '--host', '127.0.0.1', '-d', dataDir, '--log-level', 'error', ...flags],
    env,
  );
  let output = '';
  serve.child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  const started = Date.now();
  while (!/listening on/.test(output)) {
    if (Date.now() - started > 20_000 || serve.child.exitCode !== null) {
      serve.child.kill('SIGKILL');
      throw new Error(`sluice serve did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const adminKey = restart?.adminKey ?? /(sk_[\w-]+)/.exec(output)?.[1] ?? '';
  const url = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const created = restart
    ? { id: restart.collectionId }
    : ((await (
        await fetch(`${url}/v1/collections`, { method: 'POST', headers, body: JSON.stringify({ name: 'live' }) })
      ).json()) as { id: string });
  const pid = serve.child.pid ?? 0;
  const blobDir = join(dataDir, 'blobs');
  return {
    url,
    port,
    pid,
    dataDir,
    adminKey,
    collectionId: created.id,
    fdCount: () => readdirSync(`/proc/${pid}/fd`).length,
    tempFiles: () => (existsSync(join(blobDir, 'tmp')) ? readdirSync(join(blobDir, 'tmp')) : []),
    blobCount: () =>
      existsSync(blobDir)
        ? readdirSync(blobDir)
            .filter((dir) => /^[0-9a-f]{2}$/.test(dir))
            .reduce((sum, dir) => sum + readdirSync(join(blobDir, dir)).length, 0)
        : 0,
    async documentCount() {
      const listed = (await (
        await fetch(`${url}/v1/documents?collection=${created.id}&limit=500`, { headers })
      ).json()) as { documents: unknown[] };
      return listed.documents.length;
    },
    alive: () => serve.child.exitCode === null && serve.child.signalCode === null,
    async stop() {
      serve.child.kill('SIGTERM');
      await serve.done;
    },
    async kill() {
      const exited =
        serve.child.exitCode !== null || serve.child.signalCode !== null
          ? Promise.resolve()
          : new Promise((resolve) => serve.child.once('exit', resolve));
      serve.child.kill('SIGKILL');
      await exited;
    },
  };
}

/** One raw HTTP exchange: bytes out, what came back before the server closed or `waitMs` passed. */
export function rawExchange(
  port: number,
  write: (socket: ReturnType<typeof connect>) => void,
  waitMs = 10_000,
): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => write(socket));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

/** Status code and parsed body of a raw HTTP answer ('' and undefined when none came). */
export function parseAnswer(answer: string): { status: number; contentType: string; body: unknown } {
  const [head = '', body = ''] = answer.split('\r\n\r\n', 2);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const contentType = /\r\ncontent-type: *([^\r]+)/i.exec(head)?.[1] ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(/transfer-encoding: *chunked/i.test(head) ? dechunk(body) : body);
  } catch {
    parsed = undefined;
  }
  return { status, contentType, body: parsed };
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) {
      return out;
    }
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

/** A multipart body with the given parts, each `{ name, filename?, content }`, as raw bytes. */
export function multipartBody(
  boundary: string,
  parts: { name?: string; filename?: string; content: string | Buffer; headers?: string }[],
  close = true,
): Buffer {
  const pieces: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      part.headers ??
      `Content-Disposition: form-data; name="${part.name ?? 'file'}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}\r\nContent-Type: application/octet-stream\r\n`;
    pieces.push(Buffer.from(`--${boundary}\r\n${disposition}\r\n`), Buffer.from(part.content), Buffer.from('\r\n'));
  }
  if (close) {
    pieces.push(Buffer.from(`--${boundary}--\r\n`));
  }
  return Buffer.concat(pieces);
}

/** The request head of an upload to a collection. */
export function uploadHead(
  collectionId: string,
  key: string,
  boundary: string,
  contentLength: number,
  extra = '',
): string {
  return `POST /v1/collections/${collectionId}/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${contentLength}\r\n${extra}\r\n`;
}

/** Every answer that came on one connection, in order: pipelined answers, or a parser's error after an answer. */
export function parseAnswers(answer: string): ReturnType<typeof parseAnswer>[] {
  const answers: ReturnType<typeof parseAnswer>[] = [];
  let rest = answer;
  while (rest.startsWith('HTTP/1.1 ')) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const head = headEnd < 0 ? rest : rest.slice(0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    const lastChunk = /\r\ntransfer-encoding: *chunked/i.test(head) ? rest.indexOf('\r\n0\r\n\r\n', headEnd) : -1;
    const end =
      headEnd < 0
        ? rest.length
        : length !== undefined
          ? headEnd + 4 + Number(length)
          : lastChunk >= 0
            ? lastChunk + 7
            : rest.length;
    // Lengths count bytes (the answer holds one character per byte); bodies are UTF-8.
    answers.push(parseAnswer(Buffer.from(rest.slice(0, end), 'latin1').toString('utf8')));
    rest = rest.slice(end);
  }
  return answers;
}

/** The documents of the server's collection, every page of them. */
export async function listDocuments(server: LiveServer): Promise<{ id: string; sha256: string; state: string }[]> {
  const documents: { id: string; sha256: string; state: string }[] = [];
  let cursor: string | null = null;
  do {
    const page = (await (
      await fetch(
        `${server.url}/v1/documents?collection=${server.collectionId}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        { headers: { authorization: `Bearer ${server.adminKey}` } },
      )
    ).json()) as { documents: { id: string; sha256: string; state: string }[]; next_cursor: string | null };
    documents.push(...page.documents);
    cursor = page.next_cursor;
  } while (cursor);
  return documents;
}

/** The keys (SHA-256) of the raw files stored under a key. */
export function blobKeys(server: LiveServer): string[] {
  const blobDir = join(server.dataDir, 'blobs');
  return existsSync(blobDir)
    ? readdirSync(blobDir)
        .filter((dir) => /^[0-9a-f]{2}$/.test(dir))
        .flatMap((dir) => readdirSync(join(blobDir, dir)))
    : [];
}

/** Like `rawExchange`, and how the exchange ended: the server closed, reset, or sent nothing more in `waitMs`. */
export function rawExchangeEnding(
  port: number,
  write: (socket: ReturnType<typeof connect>) => void,
  waitMs = 10_000,
): Promise<{ answer: string; ending: 'closed' | 'reset' | 'timeout'; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => write(socket));
    let answer = '';
    let ending: 'closed' | 'reset' | 'timeout' = 'closed';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        ending = 'reset';
      }
    });
    const timer = setTimeout(() => {
      ending = 'timeout';
      socket.destroy();
    }, waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, ending, ms: Date.now() - started });
    });
  });
}

/**
 * The inode of the server's end of a client's TCP connection (from /proc/net/tcp), so that a descriptor
 * the server holds can be traced back to the request that opened it. Undefined if not found in `waitMs`.
 */
export async function serverSocketInode(
  serverPort: number,
  clientPort: number,
  waitMs = 500,
): Promise<string | undefined> {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
  const deadline = Date.now() + waitMs;
  for (;;) {
    // Read without blocking: a client slowed down reads its answers late, and a reset can lose them.
    for (const line of (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1)) {
      const [, local = '', remote = '', , , , , , , inode = '0'] = line.trim().split(/\s+/);
      if (local.endsWith(`:${hex(serverPort)}`) && remote.endsWith(`:${hex(clientPort)}`) && inode !== '0') {
        return inode;
      }
    }
    if (Date.now() > deadline) {
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
