import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
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
}

export async function startLiveServer(env: Record<string, string> = {}): Promise<LiveServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-live-'));
  const port = await freePort();
  const serve = startCli(
    ['serve', '--port', String(port), '--host', '127.0.0.1', '-d', dataDir, '--log-level', 'error'],
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
  const adminKey = /(sk_[\w-]+)/.exec(output)?.[1] ?? '';
  const url = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const created = (await (
    await fetch(`${url}/v1/collections`, { method: 'POST', headers, body: JSON.stringify({ name: 'live' }) })
  ).json()) as { id: string };
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
