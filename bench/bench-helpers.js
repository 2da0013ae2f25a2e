// What the bench scripts share: a free port, a pause, the median of runs and a percentile, a process's
// CPU time, a `sluice` process and its output.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

/** A TCP port of 127.0.0.1 free now. */
export const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const cli = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));

/** `sluice <argv>` with `env` as its whole environment; its stdout kept for `output()`, stderr shown. */
export function startSluice(argv, env) {
  const child = spawn(process.execPath, [cli, ...argv], { stdio: ['ignore', 'pipe', 'inherit'], env });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return { child, output: () => out };
}

/** Waits, up to `timeoutMs`, until `read()` matches `pattern`; whether it did. */
export async function waitForOutput(read, pattern, timeoutMs) {
  for (let waited = 0; waited < timeoutMs && !pattern.test(read()); waited += 50) {
    await sleep(50);
  }
  return pattern.test(read());
}

/** The nearest-rank percentile `p` of ascending `sorted` values. */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (100 ticks a second). */
export const cpuMsOf = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
};
