// `npm run bench:backlog`: a backlog of small files that nobody processes yet, growing to `--files`
// (100,000; `--quick`: 10,000) uploads of one file each from 16 clients into an API node started with
// `--no-workers`, embedded (SQLite) and distributed (Redis, and PostgreSQL when BENCH_DATABASE_URL
// names one: `bash bench/setup-postgres.sh`). Reports the upload latency per tenth of the run (the
// first tenth against an empty queue), the latency of what people watch while the backlog grows
// (`/readyz`, the jobs list, the dashboard's stats, the admin stats and status, and `sluice status`
// itself; `/readyz` answers 503 throughout, by design, as no worker runs), and Redis's memory per
// queued document: with fair scheduling (the default, 32 documents of a tenant in the queue at once)
// and with every document in the queue (SLUICE_TENANT_MAX_IN_FLIGHT=0).
// The 100,000-file run takes about 7 minutes embedded and 18 distributed on PostgreSQL on the 2-core
// development machine (figures in BENCH.md); `--only <label start>` runs one set-up.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sleep, startSluice, waitForOutput } from './bench-helpers.js';

const cli = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const files = Number(option('--files', args.includes('--quick') ? 10_000 : 100_000));
const clients = 16;
const probeEveryMs = 1000;
const statusEveryMs = 10_000;
const only = option('--only', '');

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
};
const ms = (n) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : '–');

const waitFor = async (read, pattern) => {
  if (!(await waitForOutput(read, pattern, 30_000))) {
    throw new Error(`the server did not start: ${read()}`);
  }
};

const boundary = 'sluice-backlog-boundary-5e2b';
const agent = new Agent({ keepAlive: true, maxSockets: clients + 4 });

/** A request over the shared agent; resolves with its status and milliseconds once the answer has all arrived. */
const send = (port, method, path, headers, body) =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });

/** A small text file of its own (about 1.5 KB), so that none is skipped as a duplicate. */
function uploadBody(i) {
  const words = Array.from({ length: 200 }, (_, w) => `w${(i * 7919 + w * 104729) % 50_000}`).join(' ');
  return Buffer.from(
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="f${i}.txt"\r\ncontent-type: text/plain\r\n\r\n` +
      `File ${i}. ${words}\r\n--${boundary}--\r\n`,
  );
}

/** Redis's `used_memory`, in bytes. */
function redisMemory(port) {
  const info = spawnSync('redis-cli', ['-p', String(port), 'info', 'memory']).stdout.toString();
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function run(setup) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-backlog-bench-'));
  const port = await freePort();
  const redisPort = setup.distributed ? await freePort() : undefined;
  const redis = redisPort
    ? spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      })
    : undefined;
  if (redisPort) {
    await sleep(300);
  }
  if (setup.databaseUrl) {
    // An empty ledger for each set-up.
    spawnSync('psql', [
      setup.databaseUrl,
      '-qAt',
      '-c',
      'DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE EXTENSION vector',
    ]);
  }
  const env = {
    ...process.env,
    SLUICE_LOG_LEVEL: 'warn',
    // One key sends all of it, far above the default 6,000 requests a minute a key may make.
    SLUICE_RATE_LIMIT_PER_MINUTE: '100000000',
    ...(redisPort ? { REDIS_URL: `redis://127.0.0.1:${redisPort}`, SLUICE_REDIS_PREFIX: 'bench' } : {}),
    ...(setup.databaseUrl ? { DATABASE_URL: setup.databaseUrl } : {}),
    ...setup.env,
  };
  const serve = startSluice(
    ['serve', '--port', String(port), '--host', '127.0.0.1', '-d', dataDir, '--no-workers'],
    env,
  );
  await waitFor(serve.output, /listening on/);
  const key = /(sk_[\w-]+)/.exec(serve.output())[1];
  const auth = { authorization: `Bearer ${key}` };
  const base = `http://127.0.0.1:${port}`;
  const collection = await (
    await fetch(`${base}/v1/collections`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'backlog' }),
    })
  ).json();
  const redisBefore = redisPort ? redisMemory(redisPort) : NaN;

  const latencies = new Array(files);
  let next = 0;
  let failures = 0;
  let uploading = true;
  const uploads = Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < files; i = next++) {
        const body = uploadBody(i);
        const { status, ms: took } = await send(
          port,
          'POST',
          `/v1/collections/${collection.id}/documents`,
          { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
          body,
        );
        latencies[i] = took;
        if (status !== 202) {
          failures++;
        }
      }
    }),
  ).finally(() => (uploading = false));

  // What people watch, asked one after another every second while the backlog grows.
  const watched = {
    '/readyz': '/readyz',
    'jobs list (GET /v1/batches)': '/v1/batches?limit=20',
    'documents of the batch (GET /v1/documents)': '/v1/documents?limit=50&state=queued',
    'dashboard (GET /v1/stats)': '/v1/stats',
    'GET /v1/admin/stats': '/v1/admin/stats',
    'GET /v1/status': '/v1/status',
  };
  const probes = Object.fromEntries(Object.keys(watched).map((name) => [name, []]));
  const failedProbes = [];
  const watching = (async () => {
    while (uploading) {
      for (const [name, path] of Object.entries(watched)) {
        const { status, ms: took } = await send(port, 'GET', path, auth);
        probes[name].push(took);
        // An API node without workers is not ready by design (`/readyz` wants a live worker).
        if (status !== 200 && !(path === '/readyz' && status === 503)) {
          failedProbes.push(`${name} ${status}`);
        }
      }
      await sleep(probeEveryMs);
    }
  })();
  // `sluice status`, as an operator runs it: a whole process, reading the ledger (and the queue).
  const statusRuns = [];
  const statusCli = (async () => {
    while (uploading) {
      const t0 = performance.now();
      // Not spawnSync: it would stop this process's clients for as long, and their uploads look slow.
      await new Promise((resolve) =>
        spawn(process.execPath, [cli, 'status', '-d', dataDir], { env, stdio: 'ignore' }).on('close', resolve),
      );
      statusRuns.push(performance.now() - t0);
      await sleep(statusEveryMs);
    }
  })();
  const started = performance.now();
  await uploads;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([watching, statusCli]);
  const redisAfter = redisPort ? redisMemory(redisPort) : NaN;

  serve.child.kill('SIGTERM');
  await new Promise((resolve) => serve.child.on('close', resolve));
  redis?.kill('SIGTERM');
  // The server's last writes (its staging folder) may still be landing: retried, and never fatal.
  try {
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch (error) {
    console.error(`left ${dataDir}: ${error.message}`);
  }

  const tenth = Math.ceil(files / 10);
  const tenths = Array.from({ length: 10 }, (_, t) => summary(latencies.slice(t * tenth, (t + 1) * tenth)));
  return {
    label: setup.label,
    seconds,
    failures,
    tenths,
    probes: Object.fromEntries(Object.entries(probes).map(([name, values]) => [name, summary(values)])),
    failedProbes,
    status: summary(statusRuns),
    redisBytesPerDocument: redisPort ? (redisAfter - redisBefore) / files : undefined,
  };
}

const databaseUrl = process.env.BENCH_DATABASE_URL;
const setups = [
  { label: 'embedded (SQLite)' },
  { label: `distributed (${databaseUrl ? 'PostgreSQL' : 'SQLite'} + Redis)`, distributed: true, databaseUrl },
  {
    label: `distributed, every document in the queue (SLUICE_TENANT_MAX_IN_FLIGHT=0)`,
    distributed: true,
    databaseUrl,
    env: { SLUICE_TENANT_MAX_IN_FLIGHT: '0' },
  },
].filter((s) => s.label.startsWith(only));

// `sluice status` costs a process start: Node's own start, for scale.
const nodeStart = (() => {
  const t0 = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - t0;
})();

for (const setup of setups) {
  const r = await run(setup);
  console.log(
    `\n${r.label}: ${files} uploads of one file from ${clients} clients in ${r.seconds.toFixed(0)} s (${(files / r.seconds).toFixed(0)}/s), ${r.failures} not 202`,
  );
  console.log('  upload latency by tenth of the run (queued documents grow from 0 to all):');
  r.tenths.forEach((t, i) =>
    console.log(`    ${String(i + 1).padStart(2)}: p50 ${ms(t.p50)}, p99 ${ms(t.p99)}, max ${ms(t.max)}`),
  );
  console.log(`  p99 of the last tenth / the first: ${(r.tenths[9].p99 / r.tenths[0].p99).toFixed(2)}×`);
  console.log('  while the backlog grew:');
  for (const [name, s] of Object.entries(r.probes)) {
    console.log(`    ${name.padEnd(44)} p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, max ${ms(s.max)}`);
  }
  console.log(
    `    ${'`sluice status` (a whole process)'.padEnd(44)} p50 ${ms(r.status.p50)}, max ${ms(r.status.max)} (node -e 0: ${ms(nodeStart)})`,
  );
  if (r.failedProbes.length > 0) {
    console.log(`    not 200: ${r.failedProbes.slice(0, 5).join(', ')}${r.failedProbes.length > 5 ? ', …' : ''}`);
  }
  if (r.redisBytesPerDocument !== undefined) {
    console.log(`  Redis memory per queued document: ${r.redisBytesPerDocument.toFixed(0)} bytes`);
  }
}
