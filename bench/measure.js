// One measurement in a fresh process, so peak RSS belongs to it alone. Prints one JSON line.
//   node bench/measure.js pipeline|pipeline:<parse processes>|thread|tight|distributed:<workers> <path>...
//   node bench/measure.js bucket|rescan|scan-only s3://bucket/prefix/   (the AWS variables name the server)
// `thread` runs the workers as `sluice serve` does, in a worker thread of this process. `bucket` is
// `pipeline` with the files scanned from a bucket prefix; `rescan` scans a prefix (queueing, no workers)
// then times a second scan, of objects all unchanged; `scan-only` times one scan without workers.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applySemiSpaceGrowth } from '../dist/runtime/semi-space-growth.js';
import { cpuMsOf, freePort, sleep } from './bench-helpers.js';

// As `bin/sluice.js` does, before Sluice's modules load (they would grow V8's young generation already):
// `thread` runs as `sluice serve` does, the others as `sluice ingest`.
applySemiSpaceGrowth(process.argv[2] === 'thread' ? 'serve' : 'ingest');
const { loadConfig } = await import('../dist/app/config.js');
const { createApp } = await import('../dist/app/create-app.js');
const { chunkText } = await import('../dist/core/chunker.js');
const { createHashEmbedder } = await import('../dist/embedders/hash-embedder.js');
const { createDocumentParser } = await import('../dist/parsers/create-document-parser.js');
const { expandPaths } = await import('../dist/services/expand-paths.js');
const { createCl100kTokenizer } = await import('../dist/tokenizers/cl100k-tokenizer.js');

const [mode, ...paths] = process.argv.slice(2);

/**
 * Peak resident memory of this process and its children (the parse processes) together, sampled every
 * 50 ms from /proc (Linux); elsewhere, this process's own peak.
 */
const statusOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
};
const kbIn = (status, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
/** Child processes of every thread of `pid`: those a worker thread starts are listed under its own task. */
const childrenOf = (pid) => {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) => {
      try {
        return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map(Number);
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
};
/**
 * Proportional set size of `pid` (Linux): each page shared by n processes counted 1/n in each, so the
 * tree's sum counts the node binary and shared libraries once, not once per process as RSS does.
 */
const pssKbOf = (pid) => {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};
let treePeakKb = 0;
let treePeakPssKb = 0;
let samples = 0;
let lastPssSample = -Infinity;
// What the tree held at its highest sample, process by process: anonymous memory (heaps, buffers,
// malloc) apart from file-backed pages (the node binary, shared libraries, mapped SQLite pages), which
// processes share and a sum of RSS counts once per process.
let peakParts = [];
// The last CPU time seen of each child process; children that are replaced keep their entry.
const childCpuMs = new Map();
const sampleTree = () => {
  const children = childrenOf(process.pid);
  // Each process's status read once a sample: the sampler runs on this process's main thread, and its
  // reads are CPU the measured work does not get (0.6 s of an 8 s run when it read each field apart).
  const statuses = [process.pid, ...children].map((pid) => ({ pid, status: statusOf(pid) }));
  const parts = statuses.map(({ pid, status }) => ({
    pid,
    rss: kbIn(status, 'VmRSS'),
    anon: kbIn(status, 'RssAnon'),
    file: kbIn(status, 'RssFile'),
  }));
  const kb = parts.reduce((sum, part) => sum + part.rss, 0);
  if (kb > treePeakKb) {
    peakParts = parts;
  }
  treePeakKb = Math.max(treePeakKb, kb, kbIn(statuses[0].status, 'VmHWM'));
  // smaps_rollup walks every mapping, and costs this thread far more than the rest of a sample: read it
  // every eighth sample (400 ms), and at a new RSS peak if the last reading is four samples old. (Read at
  // every new peak, it took 0.6 s of this thread's CPU in an 8 s run, while memory grew.)
  samples++;
  if (samples - lastPssSample >= 8 || (kb === treePeakKb && samples - lastPssSample >= 4)) {
    lastPssSample = samples;
    treePeakPssKb = Math.max(
      treePeakPssKb,
      [process.pid, ...children].reduce((sum, pid) => sum + pssKbOf(pid), 0),
    );
  }
  for (const pid of children) {
    childCpuMs.set(pid, Math.max(childCpuMs.get(pid) ?? 0, cpuMsOf(pid)));
  }
};
setInterval(sampleTree, 50).unref();
const { files } = paths[0]?.startsWith('s3://') ? { files: [] } : await expandPaths(paths, process.cwd());
const bytes = files.reduce((sum, f) => sum + f.sizeBytes, 0);
const config = loadConfig(process.env, {
  logLevel: 'silent',
  dataDir: mkdtempSync(join(tmpdir(), 'sluice-bench-')),
  ...(mode.startsWith('pipeline:') ? { parseProcesses: Number(mode.split(':')[1]) } : {}),
});

async function pipeline() {
  const app = await createApp(config, { servesRequests: mode === 'thread' });
  await app.startWorkers();
  const collection = await app.ensureCollection((await app.defaultTenant()).id, 'bench');
  const batch = await app.store.createBatch(collection.id, 'bench');
  const started = performance.now();
  await app.submit({ collection, batch, files });
  await app.queue.idle();
  const ms = performance.now() - started;
  const progress = await app.store.getBatchProgress(batch.id);
  const chunks = await app.store.countChunks(collection.id);
  await app.close();
  return { ms, chunks, completed: progress.byState.completed ?? 0, failed: progress.byState.failed ?? 0 };
}

/** A scan of a bucket prefix as `sluice ingest s3://…` runs it: `withWorkers` waits for the documents too. */
async function scanOnce(app, collection, url, withWorkers) {
  // As `sluice ingest s3://…` does before it records anything: the bucket is checked (and the SDK loaded).
  (await app.openSource(url)).close();
  const { source } = await app.store.ensureSource({
    collectionId: collection.id,
    type: 's3',
    url,
    include: [],
    exclude: [],
  });
  const batch = await app.store.createBatch(collection.id, url);
  const started = performance.now();
  const report = await (await app.scanSource({ source, collection, batch })).finished;
  if (withWorkers) {
    await app.queue.idle();
  }
  return { ms: performance.now() - started, report, batch };
}

async function bucket() {
  const url = paths[0];
  const app = await createApp(config, {});
  if (mode === 'bucket') {
    await app.startWorkers();
  }
  const collection = await app.ensureCollection((await app.defaultTenant()).id, 'bench');
  const first = await scanOnce(app, collection, url, mode === 'bucket');
  const second = mode === 'rescan' ? await scanOnce(app, collection, url, false) : undefined;
  const progress = await app.store.getBatchProgress(first.batch.id);
  const chunks = await app.store.countChunks(collection.id);
  await app.close();
  const timed = second ?? first;
  return {
    ms: timed.ms,
    scanMs: Date.parse(timed.report.finishedAt) - Date.parse(timed.report.startedAt),
    objects: timed.report.listed,
    unchanged: timed.report.unchanged,
    ingested: timed.report.ingested,
    chunks,
    completed: progress.byState.completed ?? 0,
    failed: progress.byState.failed ?? 0,
  };
}

/** The ceiling: parse → chunk → embed in one loop, no blob store, no ledger, no queue. */
async function tight() {
  const parser = createDocumentParser({ maxFileBytes: config.maxFileBytes, parseTimeoutMs: config.parseTimeoutMs });
  const tokenizer = createCl100kTokenizer();
  const embedder = createHashEmbedder({ dimension: config.embedDimension });
  const options = { maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap };
  const started = performance.now();
  let chunks = 0;
  let completed = 0;
  let failed = 0;
  for (const file of files) {
    try {
      const parsed = await parser.parse({ bytes: await readFile(file.path), source: file.path });
      const pieces = await chunkText(parsed, tokenizer, options);
      for (let i = 0; i < pieces.length; i += config.embedBatchSize) {
        await embedder.embed(pieces.slice(i, i + config.embedBatchSize).map((c) => c.text));
      }
      chunks += pieces.length;
      completed++;
    } catch {
      failed++;
    }
  }
  return { ms: performance.now() - started, chunks, completed, failed };
}

/**
 * Distributed mode on this machine: a redis-server of its own, `sluice worker` processes taking
 * jobs from BullMQ, and this process submitting as an API node would. The ledger is the SQLite file
 * they share, or Postgres when BENCH_DATABASE_URL names one with pgvector. Timed from the first file
 * submitted (workers already up) to the last document finished, like the embedded run.
 */
async function distributed(workerCount) {
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const env = {
    ...process.env,
    REDIS_URL: `redis://127.0.0.1:${port}`,
    SLUICE_DATA_DIR: config.dataDir,
    SLUICE_LOG_LEVEL: 'silent',
    SLUICE_REDIS_PREFIX: 'bench',
    ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
  };
  await sleep(300);
  const app = await createApp(loadConfig(env, {}));
  const workers = Array.from({ length: workerCount }, () =>
    spawn(process.execPath, [new URL('../bin/sluice.js', import.meta.url).pathname, 'worker'], {
      env,
      stdio: 'ignore',
    }),
  );
  while ((await app.store.listLiveWorkers(15_000)).length < workerCount) {
    await sleep(50);
  }
  const collection = await app.ensureCollection((await app.defaultTenant()).id, 'bench');
  const batch = await app.store.createBatch(collection.id, 'bench');
  const started = performance.now();
  await app.submit({ collection, batch, files });
  let progress = await app.store.getBatchProgress(batch.id);
  while (!progress.finished) {
    await sleep(50);
    progress = await app.store.getBatchProgress(batch.id);
  }
  const ms = performance.now() - started;
  const chunks = await app.store.countChunks(collection.id);
  await Promise.all(workers.map((w) => new Promise((resolve) => (w.once('exit', resolve), w.kill('SIGTERM')))));
  await app.close();
  redis.kill('SIGTERM');
  return { ms, chunks, completed: progress.byState.completed ?? 0, failed: progress.byState.failed ?? 0 };
}

const cpuBefore = process.cpuUsage();
const result =
  mode === 'tight'
    ? await tight()
    : ['bucket', 'rescan', 'scan-only'].includes(mode)
      ? await bucket()
      : mode.startsWith('distributed:')
        ? await distributed(Number(mode.split(':')[1]))
        : await pipeline();
const { user, system } = process.cpuUsage(cpuBefore);
// CPU time of this process (for the pipeline: its main thread plus SQLite and libuv's threads) and of
// its parse processes: where the work is, beside how long it took.
const cpu = {
  childProcesses: childCpuMs.size,
  ownCpuMs: (user + system) / 1000,
  childCpuMs: [...childCpuMs.values()].reduce((sum, ms) => sum + ms, 0),
};
rmSync(config.dataDir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ mode, files: files.length, bytes, ...result, ...cpu, peakRssMb: Math.max(treePeakKb, process.resourceUsage().maxRSS) / 1024, ownPeakRssMb: process.resourceUsage().maxRSS / 1024, peakPssMb: treePeakPssKb / 1024, atPeak: peakParts.map(({ rss, anon, file }) => ({ rssMb: Math.round(rss / 1024), anonMb: Math.round(anon / 1024), fileMb: Math.round(file / 1024) })) })}\n`,
);
