// `npm run bench:upload`: latency of the 202 answer to 1 MB uploads from 50 concurrent clients while
// the server ingests what it was sent. Four set-ups side by side: `sluice serve` (workers in a thread
// of the API process), the same with `SLUICE_WORKER_THREAD=false` (workers on the API's thread), and an
// API process with `--no-workers` beside a `sluice worker` process sharing the ledger; and, as the floor,
// that API process alone (uploads received and recorded, nothing ingested). Each set-up runs
// twice: a closed loop (every client uploads again as soon as its answer arrives: the throughput
// limit) and an open one (the clients together start `--rate` uploads a second on a fixed schedule,
// as people uploading would, whatever the server's pace). `--open-only` skips the closed loop; `--only
// <label start>` runs only the set-ups whose label starts so; `--uploads <n>` sets each client's
// uploads (16: 800 in all, enough for a p99 that is not the second-slowest of 200).
//
// The clients send bodies encoded before the clock starts, over node:http: they share the machine's
// two cores with the server, and encoding a FormData through fetch for every upload added 2–3 ms to the
// p50 and about 10 ms to the p99 measured here. `--client fetch` brings that client back, to compare.
import { Agent, request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep, startSluice, waitForOutput } from './bench-helpers.js';

const clients = 50;
const args = process.argv.slice(2);
const uploadsPerClient = args.includes('--uploads') ? Number(args[args.indexOf('--uploads') + 1]) : 16;
const fileBytes = 1024 * 1024;
const openRate = Number(args.includes('--rate') ? args[args.indexOf('--rate') + 1] : 20);

const start = (args, env = {}) => startSluice(args, { ...process.env, ...env });
const waitFor = (read, pattern) => waitForOutput(read, pattern, 15_000);

/**
 * Text of about 1 MB, different for every upload (so nothing is skipped as a duplicate), written
 * straight into bytes. Built as strings, the 800 texts sat in the client's own heap (800 MB beside the
 * 800 MB of bodies), and its scavenges took 30–84 ms during the measurement: pauses of the client, timed
 * as the server's latency.
 */
function makeFile(seed) {
  const bytes = Buffer.allocUnsafe(fileBytes + 16);
  let s = seed;
  let counted = 0;
  let written = 0;
  while (counted < fileBytes) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const word = `w${s % 5000}`;
    if (written > 0) {
      bytes[written++] = 0x20;
    }
    written += bytes.write(word, written, 'latin1');
    counted += word.length + 1;
  }
  return bytes.subarray(0, written);
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const clientKind = args.includes('--client') ? args[args.indexOf('--client') + 1] : 'http';
const boundary = 'sluice-bench-boundary-7d1f3a';
const agent = new Agent({ keepAlive: true, maxSockets: clients });
/** One upload of a body encoded beforehand; resolves with the answer's status once it has all arrived. */
const post = (port, path, headers, body) =>
  new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });

/** rate undefined: closed loop; else uploads a second in all, client c starting at c / rate s. */
async function run(setup, rate) {
  const withSeparateWorker = setup.separateWorker === true;
  const label = `${setup.label}, ${rate ? `${rate}/s` : 'closed loop'}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-upload-bench-'));
  const port = await freePort();
  const serve = start(
    [
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '-d',
      dataDir,
      '--log-level',
      'warn',
      ...(withSeparateWorker || setup.noWorkers ? ['--no-workers'] : []),
    ],
    setup.env,
  );
  await waitFor(serve.output, /listening on/);
  const worker = withSeparateWorker ? start(['worker', '-d', dataDir, '--log-level', 'warn']) : undefined;
  const key = /(sk_[\w-]+)/.exec(serve.output())[1];
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${key}` };
  const collection = await (
    await fetch(`${base}/v1/collections`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench' }),
    })
  ).json();

  // Bodies only: each file's text for the fetch client is a view into its body, not a copy.
  const suffix = Buffer.from(`\r\n--${boundary}--\r\n`);
  const uploads = Array.from({ length: clients * uploadsPerClient }, (_, i) => {
    const prefix = Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="c${Math.floor(i / uploadsPerClient)}-u${i % uploadsPerClient}.txt"\r\ncontent-type: text/plain\r\n\r\n`,
    );
    const body = Buffer.concat([prefix, makeFile(i + 1), suffix]);
    return { body, file: body.subarray(prefix.length, body.length - suffix.length) };
  });
  const latencies = [];
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let u = 0; u < uploadsPerClient; u++) {
        if (rate) {
          // The schedule is kept even when the server falls behind: a late start still counts from now.
          await sleep(started + ((u * clients + c) * 1000) / rate - performance.now());
        }
        const path = `/v1/collections/${collection.id}/documents`;
        let status;
        let t0;
        if (clientKind === 'fetch') {
          const form = new FormData();
          form.append('file', new Blob([uploads[c * uploadsPerClient + u].file]), `c${c}-u${u}.txt`);
          t0 = performance.now();
          const response = await fetch(`${base}${path}`, { method: 'POST', headers, body: form });
          await response.arrayBuffer();
          status = response.status;
        } else {
          const { body } = uploads[c * uploadsPerClient + u];
          t0 = performance.now();
          status = await post(
            port,
            path,
            { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
            body,
          );
        }
        latencies.push(performance.now() - t0);
        if (status !== 202) {
          failures++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  serve.child.kill('SIGTERM');
  worker?.child.kill('SIGTERM');
  await Promise.all([serve, worker].filter(Boolean).map((p) => new Promise((r) => p.child.on('close', r))));
  rmSync(dataDir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return {
    label,
    uploads: latencies.length,
    failures,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1),
    perSecond: latencies.length / seconds,
  };
}

const setups = [
  { label: 'serve (worker thread)' },
  { label: 'serve, WORKER_THREAD=false', env: { SLUICE_WORKER_THREAD: 'false' } },
  { label: '--no-workers + worker', separateWorker: true },
  // Nothing is ingested: what receiving and recording uploads alone cost on this machine, the floor.
  { label: '--no-workers, no worker', noWorkers: true },
];
const results = [];
for (const rate of args.includes('--open-only') ? [openRate] : [undefined, openRate]) {
  for (const setup of setups.filter(
    (s) => !args.includes('--only') || s.label.startsWith(args[args.indexOf('--only') + 1]),
  )) {
    results.push(await run(setup, rate));
  }
}
console.log(
  `\nUpload latency — ${clients} concurrent clients × ${uploadsPerClient} uploads of 1 MB (client: ${clientKind}), ingesting meanwhile`,
);
console.log(
  `${'set-up'.padEnd(42)}${'uploads'.padStart(8)}${'failed'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}${'uploads/s'.padStart(11)}`,
);
for (const r of results) {
  console.log(
    `${r.label.padEnd(42)}${String(r.uploads).padStart(8)}${String(r.failures).padStart(8)}${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${r.max.toFixed(1).padStart(9)}${r.perSecond.toFixed(1).padStart(11)}`,
  );
}
