import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { forwardHttp } from './forward-http.js';
import { freePort } from './free-port.js';

/**
 * How a request the proxy is told to spoil fails: S3's own throttling answer, a connection reset, or
 * an answer that comes only after a while (`{ delayMs }`).
 */
export type S3Fault = 'slowdown' | 'reset' | { delayMs: number };

/** An S3-compatible server for a test file, seen through a proxy that can make requests fail. */
export interface TestS3 {
  /** The endpoint to give the SDK (`AWS_ENDPOINT_URL`). */
  endpoint: string;
  /** The environment a Sluice process needs to use it: endpoint, region and credentials. */
  env: Record<string, string>;
  /** Creates an empty bucket of its own and returns its name. */
  newBucket(): Promise<string>;
  /** An SDK client of the server, as Sluice makes one. */
  client(credentials?: { accessKeyId: string; secretAccessKey: string }): S3Client;
  /** The next `count` requests fail as `fault` says. */
  failNext(count: number, fault: S3Fault): void;
  /** Requests go through again, whatever `failNext` had still to spoil. */
  heal(): void;
  stop(): Promise<void>;
}

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const slowDown =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const probe = request({ host: '127.0.0.1', port, path: '/', method: 'GET' }, (res) => {
        res.resume();
        resolve(true);
      });
      probe.on('error', () => resolve(false));
      probe.end();
    });
    if (up) {
      return;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error('the S3 test server did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * `TEST_S3_URL` (a real MinIO or S3, with the AWS variables set) when given; else s3rver, an
 * S3-compatible server from the npm registry, in a process of its own on a free port. Where s3rver
 * differs from S3 (it checks that the access key exists but not V4 signatures, it cannot abort a
 * multipart upload), the tests say so; the adapter follows S3.
 */
export async function startTestS3(): Promise<TestS3> {
  const given = process.env.TEST_S3_URL;
  let target: { host: string; port: number };
  let stopServer = (): Promise<void> => Promise.resolve();
  if (given) {
    const url = new URL(given);
    target = { host: url.hostname, port: Number(url.port || 80) };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-s3-'));
    const port = await freePort();
    const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
    // s3rver's continuation tokens are DES-encrypted, which OpenSSL 3 offers only in its legacy provider.
    const child = spawn(
      process.execPath,
      ['--openssl-legacy-provider', bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent'],
      {
        stdio: 'ignore',
      },
    );
    await waitForPort(port, child);
    target = { host: '127.0.0.1', port };
    stopServer = async () => {
      if (child.exitCode === null) {
        await new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    };
  }

  const faults: S3Fault[] = [];
  const proxy: Server = createServer((req, res) => {
    const fault = faults.shift();
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'slowdown') {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' }).end(slowDown);
      return;
    }
    const delayMs = typeof fault === 'object' ? fault.delayMs : 0;
    setTimeout(() => forwardHttp(req, res, target), delayMs);
  });
  const proxyPort = await freePort();
  await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${proxyPort}`;
  const client = (as = credentials): S3Client =>
    new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      ...(given ? {} : { credentials: as }),
      maxAttempts: 5,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  const admin = client();
  let buckets = 0;
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
      ...(given
        ? {}
        : { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey }),
    },
    async newBucket() {
      const name = `sluice-test-${process.pid}-${Date.now().toString(36)}-${++buckets}`;
      await admin.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    client,
    failNext(count, fault) {
      faults.push(...Array.from({ length: count }, () => fault));
    },
    heal() {
      faults.length = 0;
    },
    async stop() {
      admin.destroy();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await stopServer();
    },
  };
}
