// `npm run bench`: Sluice's embedded pipeline beside the tight loop (parse → chunk → embed, no queue,
// no ledger) and beside distributed mode with 1 and 2 worker processes, on the same corpus, in turn,
// each run in its own process; medians of several rounds. With --peers, also a LangChain.js and a
// LlamaIndex.TS pipeline on the same corpus and embedder (installed in bench/peers by `npm run bench:peers`).
//   npm run bench [-- --rounds 3] [-- --large | --corpus docs/python-html,...] [-- --no-distributed] [-- --peers [langchain|llamaindex]]
//     [-- --one-parse-process]   (also the embedded pipeline with SLUICE_PARSE_PROCESSES=1)
//     [-- --parse-processes 1,2,4]  (also the embedded pipeline with each of these numbers of parse processes)
//     [-- --thread]              (also the embedded pipeline with its workers in a thread, as `sluice serve` runs them)
// (fetch the corpus first: npm run bench:corpus; distributed runs need redis-server)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from './bench-helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 3;
// --corpus takes folders under bench/corpus, comma-separated (say docs/python-html,docs/python-text).
const corpus = args.includes('--corpus')
  ? args[args.indexOf('--corpus') + 1].split(',').map((dir) => `${here}corpus/${dir}`)
  : args.includes('--large')
    ? [`${here}corpus/large`]
    : [`${here}corpus/docs`];
if (!corpus.every(existsSync)) {
  console.error('No corpus yet: run `npm run bench:corpus` first.');
  process.exit(1);
}

const peers = ['langchain', 'llamaindex'];
// `--peers langchain` runs only the peers named (comma-separated); `--peers` alone runs both.
const peersArg = args[args.indexOf('--peers') + 1];
const chosenPeers =
  peersArg && !peersArg.startsWith('--') ? peersArg.split(',').filter((peer) => peers.includes(peer)) : peers;
const measure = (mode) => {
  const script = peers.includes(mode) ? `${here}peers/run-peer.js` : `${here}measure.js`;
  return JSON.parse(
    execFileSync(process.execPath, [script, mode, ...corpus], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim(),
  );
};
if (args.includes('--peers') && !existsSync(`${here}peers/node_modules`)) {
  console.error('The peers are not installed: run `npm run bench:peers` first.');
  process.exit(1);
}

// The curve over parse processes: `pipeline:<n>` for each n asked for (1 with --one-parse-process).
const parseCounts = [
  ...new Set([
    ...(args.includes('--one-parse-process') ? [1] : []),
    ...(args.includes('--parse-processes') ? args[args.indexOf('--parse-processes') + 1].split(',').map(Number) : []),
  ]),
].filter((n) => Number.isInteger(n) && n > 0);
const modes = [
  'pipeline',
  'tight',
  ...parseCounts.map((n) => `pipeline:${n}`),
  ...(args.includes('--thread') ? ['thread'] : []),
  ...(args.includes('--no-distributed') ? [] : ['distributed:1', 'distributed:2']),
  ...(args.includes('--peers') ? chosenPeers : []),
];
const runs = Object.fromEntries(modes.map((m) => [m, []]));
for (let round = 1; round <= rounds; round++) {
  // Rotate the order so no mode always runs on a warmer machine.
  const order = modes.map((_, i) => modes[(i + round) % modes.length]);
  for (const mode of order) {
    const r = measure(mode);
    runs[mode].push(r);
    console.error(
      `round ${round} ${mode.padEnd(13)} ${(r.ms / 1000).toFixed(2)} s, ${r.chunks} chunks, ${r.completed} docs, ${r.failed} failed, peak RSS ${r.peakRssMb.toFixed(0)} MB${r.peakPssMb === undefined ? '' : `, PSS ${r.peakPssMb.toFixed(0)} MB`}`,
    );
  }
}

const summary = (mode) => {
  const list = runs[mode];
  const ms = median(list.map((r) => r.ms));
  const { bytes, files, chunks, completed } = list[0];
  return {
    mode,
    seconds: ms / 1000,
    mbPerS: bytes / 1e6 / (ms / 1000),
    docsPerMin: completed / (ms / 60000),
    chunksPerS: chunks / (ms / 1000),
    peakRssMb: median(list.map((r) => r.peakRssMb)),
    // The peers report their own peak RSS only.
    peakPssMb: list.every((r) => r.peakPssMb !== undefined) ? median(list.map((r) => r.peakPssMb)) : undefined,
    files,
    bytes,
  };
};
const pipeline = summary('pipeline');
const tight = summary('tight');
const fmt = (n, d = 1) => n.toFixed(d).padStart(9);

console.log(
  `\nSluice bench — ${pipeline.files} files, ${(pipeline.bytes / 1e6).toFixed(1)} MB, ${rounds} rounds (medians); ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
console.log(
  `${'run'.padEnd(32)}${'seconds'.padStart(9)}${'MB/s'.padStart(9)}${'docs/min'.padStart(9)}${'chunks/s'.padStart(9)}${'RSS MB'.padStart(9)}${'PSS MB'.padStart(9)}`,
);
const rows = [
  ['embedded pipeline (SQLite)', pipeline],
  ['tight loop (no queue/ledger)', tight],
  ...parseCounts.map((n) => [`embedded, ${n} parse process${n === 1 ? '' : 'es'}`, summary(`pipeline:${n}`)]),
  ...(runs.thread ? [['embedded, workers in a thread', summary('thread')]] : []),
  ...(runs['distributed:1']
    ? [
        ['distributed, 1 worker process', summary('distributed:1')],
        ['distributed, 2 worker processes', summary('distributed:2')],
      ]
    : []),
  ...(runs.langchain ? [['LangChain.js (MemoryVectorStore)', summary('langchain')]] : []),
  ...(runs.llamaindex ? [['LlamaIndex.TS (IngestionPipeline)', summary('llamaindex')]] : []),
];
for (const [label, s] of rows) {
  // RSS of distributed runs is the submitting process's only; its workers are separate processes.
  const rss = label.startsWith('distributed') ? '-'.padStart(9) : fmt(s.peakRssMb, 0);
  const pss = label.startsWith('distributed') || s.peakPssMb === undefined ? '-'.padStart(9) : fmt(s.peakPssMb, 0);
  console.log(
    `${label.padEnd(32)}${fmt(s.seconds, 2)}${fmt(s.mbPerS, 2)}${fmt(s.docsPerMin, 0)}${fmt(s.chunksPerS, 0)}${rss}${pss}`,
  );
}
// Each ratio also round by round: the runs of one round are minutes apart at most, so a machine that
// speeds up or slows down over the run moves both sides of a round's ratio, and the median of the
// rounds' ratios is steadier than the ratio of the medians.
const byRound = (top, bottom, format) => {
  const ratios = runs[top].map((r, i) => runs[bottom][i].ms / r.ms);
  return rounds > 1
    ? ` (round by round: ${ratios.map(format).join(' / ')}; their median ${format(median(ratios))})`
    : '';
};
const percent = (ratio) => `${(100 * ratio).toFixed(1)}%`;
const times = (ratio) => `${ratio.toFixed(2)}×`;
console.log(
  `pipeline / tight loop throughput: ${percent(tight.seconds / pipeline.seconds)}${byRound('pipeline', 'tight', percent)}`,
);
// Where the embedded runs spend CPU: the main process (its thread, SQLite's and libuv's) and the parse
// processes, and how many of the machine's cores that kept busy over the run (medians of the rounds).
for (const mode of ['pipeline', ...parseCounts.map((n) => `pipeline:${n}`)]) {
  const list = runs[mode];
  const own = median(list.map((r) => r.ownCpuMs)) / 1000;
  const children = median(list.map((r) => r.childCpuMs)) / 1000;
  const busy = median(list.map((r) => (r.ownCpuMs + r.childCpuMs) / r.ms));
  console.log(
    `${mode.padEnd(12)} CPU: main process ${own.toFixed(2)} s, parse processes ${children.toFixed(2)} s, ${busy.toFixed(2)} cores busy`,
  );
}
for (const [label, s] of rows.slice(2).filter(([, s]) => !peers.includes(s.mode))) {
  console.log(
    `${label} / embedded pipeline throughput: ${percent(pipeline.seconds / s.seconds)}${byRound(s.mode, 'pipeline', percent)}`,
  );
}
for (const [label, s] of rows.filter(([, s]) => peers.includes(s.mode))) {
  console.log(
    `embedded pipeline / ${label}: ${times(s.seconds / pipeline.seconds)} the throughput${byRound('pipeline', s.mode, times)}`,
  );
}
