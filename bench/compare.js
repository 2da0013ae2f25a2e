// `node bench/compare.js <other checkout>`: this checkout beside another one (say a worktree of the
// commit before a change, built with `npm run build`), in turns within each round so that a machine
// that speeds up or slows down moves both sides alike: the embedded pipeline and the tight loop
// (bench/measure.js), the 202's latency while ingesting (bench/upload-latency.js, workers in a thread,
// open loop) and query latency (bench/query-latency.js). Medians of the rounds, and this ÷ other.
//   node bench/compare.js ../before [-- --rounds 5] [-- --corpus docs] [-- --chunks 30000] [-- --skip upload,query]
// The other checkout reads this one's corpus (`npm run bench:corpus` here first).
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './bench-helpers.js';

const here = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const other = args[0] && !args[0].startsWith('--') ? resolve(args[0]) : undefined;
if (!other || !existsSync(`${other}/dist`)) {
  console.error('usage: node bench/compare.js <other checkout, built> [--rounds n] [--corpus dir] [--chunks n]');
  process.exit(1);
}
const rounds = Number(option('--rounds', 5));
const corpus = option('--corpus', 'docs')
  .split(',')
  .map((dir) => `${here}bench/corpus/${dir}`);
const chunks = option('--chunks', '30000');
const skip = option('--skip', '').split(',');
if (!corpus.every(existsSync)) {
  console.error('No corpus yet: run `npm run bench:corpus` first.');
  process.exit(1);
}
if (!existsSync(`${other}/bench/corpus`)) {
  symlinkSync(`${here}bench/corpus`, `${other}/bench/corpus`);
}

const trees = { this: here, other: `${other}/` };
const run = (tree, script, scriptArgs) =>
  execFileSync(process.execPath, [`${trees[tree]}bench/${script}`, ...scriptArgs], {
    cwd: trees[tree],
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'ignore'],
  });

/** Each measure returns named figures; lower is better for all of them. */
const measures = {
  pipeline: (exec) => ({ 'pipeline s': JSON.parse(exec('measure.js', ['pipeline', ...corpus])).ms / 1000 }),
  tight: (exec) => ({ 'tight loop s': JSON.parse(exec('measure.js', ['tight', ...corpus])).ms / 1000 }),
  upload: (exec) => {
    const out = exec('upload-latency.js', ['--open-only', '--only', 'serve (worker thread)']);
    const line = out.split('\n').find((l) => l.startsWith('serve (worker thread)'));
    const [, failed, p50, p99] = line.slice(42).trim().split(/\s+/).map(Number);
    if (failed > 0) {
      throw new Error(`${failed} uploads failed`);
    }
    return { 'upload p50 ms': p50, 'upload p99 ms': p99 };
  },
  query: (exec) => {
    const out = exec('query-latency.js', ['--chunks', chunks, '--queries', '300']);
    const figures = {};
    for (const [label, name] of [
      ['SQLite: int8 scan, FTS5 ', 'SQLite'],
      ['PostgreSQL', 'PostgreSQL'],
    ]) {
      const line = out.split('\n').find((l) => l.startsWith(label));
      if (!line) {
        continue;
      }
      const pairs = [...line.matchAll(/([\d.]+) \/ ([\d.]+)/g)].map((m) => Number(m[1]));
      figures[`${name} hybrid p50 ms`] = pairs[0];
      figures[`${name} vector p50 ms`] = pairs[1];
      figures[`${name} text p50 ms`] = pairs[2];
    }
    return figures;
  },
};
const chosen = Object.keys(measures).filter((name) => !skip.includes(name));
const figures = { this: {}, other: {} };
for (let round = 1; round <= rounds; round++) {
  // Alternate which checkout goes first.
  const order = round % 2 ? ['other', 'this'] : ['this', 'other'];
  for (const name of chosen) {
    for (const tree of order) {
      const exec = (script, scriptArgs) => run(tree, script, scriptArgs);
      for (const [figure, value] of Object.entries(measures[name](exec))) {
        (figures[tree][figure] ??= []).push(value);
        console.error(`round ${round} ${tree.padEnd(5)} ${figure.padEnd(28)} ${value.toFixed(2)}`);
      }
    }
  }
}

console.log(`\nthis checkout beside ${other}: medians of ${rounds} rounds`);
console.log(
  `${'figure'.padEnd(28)}${'other'.padStart(10)}${'this'.padStart(10)}${'this÷other'.padStart(12)}  rounds (this)`,
);
for (const figure of Object.keys(figures.this)) {
  const a = median(figures.other[figure]);
  const b = median(figures.this[figure]);
  console.log(
    `${figure.padEnd(28)}${a.toFixed(2).padStart(10)}${b.toFixed(2).padStart(10)}${(b / a).toFixed(3).padStart(12)}  ${figures.this[figure].map((v) => v.toFixed(1)).join(' / ')}`,
  );
}
const ratio = (tree) =>
  median(figures[tree]['tight loop s'].map((tight, i) => tight / figures[tree]['pipeline s'][i])) * 100;
if (figures.this['pipeline s'] && figures.this['tight loop s']) {
  console.log(
    `embedded throughput ÷ tight loop, median of the rounds: other ${ratio('other').toFixed(1)} %, this ${ratio('this').toFixed(1)} %`,
  );
}
