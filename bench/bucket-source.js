// `npm run bench:bucket`: ingesting from a bucket against the same files from a folder, side by side
// in each round (in turns, so a machine that speeds up or slows down moves both alike); a rescan of
// 1,000 unchanged objects; peak memory while one 200 MB object streams from the bucket into the store.
// The bucket is s3rver (an S3-compatible server from the npm registry) in a process of its own on this
// machine, or the server BENCH_S3_URL names (with the AWS variables set). Medians of the rounds.
//   node bench/bucket-source.js [--rounds 3] [--corpus docs] [--skip ingest,rescan,stream]
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { cpuMsOf, freePort, median, sleep } from './bench-helpers.js';

const here = fileURLToPath(new URL('..', import.meta.url));
// The SDK's notice that later versions need Node 22 would only clutter the figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const rounds = Number(option('--rounds', 3));
const corpus = `${here}bench/corpus/${option('--corpus', 'docs')}`;
const skip = option('--skip', '').split(',');
if (!existsSync(corpus)) {
  console.error('No corpus yet: run `npm run bench:corpus` first.');
  process.exit(1);
}
const { expandPaths } = await import('../dist/services/expand-paths.js');

let endpoint = process.env.BENCH_S3_URL;
let server;
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-s3-'));
if (!endpoint) {
  const port = await freePort();
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  // s3rver's continuation tokens are DES-encrypted, which OpenSSL 3 offers only in its legacy provider.
  server = spawn(
    process.execPath,
    ['--openssl-legacy-provider', bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent'],
    {
      stdio: 'ignore',
    },
  );
  endpoint = `http://127.0.0.1:${port}`;
  await sleep(1000);
}
const env = {
  ...process.env,
  AWS_ENDPOINT_URL: endpoint,
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  AWS_ACCESS_KEY_ID: process.env.BENCH_S3_URL ? process.env.AWS_ACCESS_KEY_ID : 'S3RVER',
  AWS_SECRET_ACCESS_KEY: process.env.BENCH_S3_URL ? process.env.AWS_SECRET_ACCESS_KEY : 'S3RVER',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const client = new S3Client({
  endpoint,
  region: env.AWS_REGION,
  forcePathStyle: true,
  credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  requestChecksumCalculation: 'WHEN_REQUIRED',
});
const bucket = `sluice-bench-${Date.now()}`;
await client.send(new CreateBucketCommand({ Bucket: bucket }));

const measure = (mode, target, extraEnv = {}) =>
  JSON.parse(
    execFileSync(process.execPath, [`${here}bench/measure.js`, mode, target], {
      cwd: here,
      env: { ...env, ...extraEnv },
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );

try {
  if (!skip.includes('ingest')) {
    const { files } = await expandPaths([corpus], here);
    for (const file of files) {
      const key = `corpus/${relative(corpus, file.path).split('\\').join('/')}`;
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: createReadStream(file.path),
          ContentLength: file.sizeBytes,
        }),
      );
    }
    const runs = { folder: [], bucket: [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ['folder', 'bucket'] : ['bucket', 'folder'];
      for (const side of order) {
        const serverCpu = server ? cpuMsOf(server.pid) : 0;
        const result = side === 'folder' ? measure('pipeline', corpus) : measure('bucket', `s3://${bucket}/corpus/`);
        result.serverCpuMs = server ? cpuMsOf(server.pid) - serverCpu : 0;
        runs[side].push(result);
        console.error(
          `round ${round + 1} ${side}: ${(result.ms / 1000).toFixed(2)} s, ${result.completed} completed, ${result.chunks} chunks, ` +
            `scan ${((result.scanMs ?? 0) / 1000).toFixed(2)} s, CPU ${((result.ownCpuMs + result.childCpuMs) / 1000).toFixed(2)} s, ` +
            `bucket server CPU ${(result.serverCpuMs / 1000).toFixed(2)} s`,
        );
      }
    }
    const row = (name, list) =>
      `${name.padEnd(8)} ${(median(list.map((r) => r.ms)) / 1000).toFixed(2).padStart(8)} s  ${String(list[0].completed).padStart(5)} completed  ${String(list[0].chunks).padStart(6)} chunks  peak RSS ${median(list.map((r) => r.peakRssMb)).toFixed(0)} MB  ` +
      `Sluice CPU ${(median(list.map((r) => r.ownCpuMs + r.childCpuMs)) / 1000).toFixed(2)} s  bucket server CPU ${(median(list.map((r) => r.serverCpuMs)) / 1000).toFixed(2)} s`;
    console.log(
      `Ingest of ${files.length} files (${(files.reduce((s, f) => s + f.sizeBytes, 0) / 1e6).toFixed(1)} MB), median of ${rounds} rounds:`,
    );
    console.log(row('folder', runs.folder));
    console.log(row('bucket', runs.bucket));
    const ratio = median(runs.bucket.map((r) => r.ms)) / median(runs.folder.map((r) => r.ms));
    console.log(
      `bucket ÷ folder: ${ratio.toFixed(3)} (each round: ${runs.bucket.map((r, i) => (r.ms / runs.folder[i].ms).toFixed(3)).join(', ')})`,
    );
  }

  if (!skip.includes('rescan')) {
    for (let i = 0; i < 1000; i++) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `many/${String(i).padStart(4, '0')}.txt`,
          Body: `Object ${i}: ${'some words '.repeat(40)}`,
        }),
      );
    }
    const rescans = Array.from({ length: rounds }, () => measure('rescan', `s3://${bucket}/many/`));
    console.log(
      `Rescan of ${rescans[0].objects} objects, ${rescans[0].unchanged} unchanged: median ${(median(rescans.map((r) => r.ms)) / 1000).toFixed(2)} s (${rescans.map((r) => (r.ms / 1000).toFixed(2)).join(', ')})`,
    );
  }

  if (!skip.includes('stream')) {
    const size = 200 * 1024 * 1024;
    const line = 'A line of the large object, which streams from the bucket into the raw-file store.\n';
    const body = Readable.from(
      (function* () {
        for (let sent = 0; sent < size; sent += 1024 * line.length) {
          yield Buffer.from(line.repeat(Math.min(1024, Math.ceil((size - sent) / line.length))));
        }
      })(),
    );
    await new Upload({ client, params: { Bucket: bucket, Key: 'big/large.txt', Body: body } }).done();
    const streams = Array.from({ length: rounds }, () =>
      measure('scan-only', `s3://${bucket}/big/`, { SLUICE_MAX_FILE_BYTES: String(256 * 1024 * 1024) }),
    );
    console.log(
      `One 200 MB object (${streams[0].ingested} read) scanned into the store: median ${(median(streams.map((r) => r.ms)) / 1000).toFixed(2)} s, peak RSS median ${median(streams.map((r) => r.peakRssMb)).toFixed(0)} MB (${streams.map((r) => r.peakRssMb.toFixed(0)).join(', ')})`,
    );
  }
} finally {
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
