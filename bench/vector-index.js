// `node bench/vector-index.js`: the vector search a large SQLite collection could use, side by side on
// the same vectors: the exact int8 scan the store runs today (USearch's `exactSearch`, one thread and
// two), and USearch's HNSW graph (int8) at several search widths: query time, recall@10 against the
// exact scan, build time and memory, at each size. The vectors are the `hash` embedder's (384
// dimensions) of chunks generated from the corpus (generated-chunks.js), and the queries of 3 to 6
// words as in the other benches.
//   node bench/vector-index.js [--sizes 10000,100000,300000,1000000] [--queries 200] [--hnsw-up-to 1000000]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exactSearch, Index } from 'usearch';
import { createHashEmbedder } from '../dist/embedders/hash-embedder.js';
import { quantize } from '../dist/store/sqlite/search/vector-scan.js';
import { percentile } from './bench-helpers.js';
import { openGenerator } from './generated-chunks.js';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const sizes = option('--sizes', '10000,100000,300000,1000000').split(',').map(Number);
const queryCount = Number(option('--queries', 200));
const hnswUpTo = Number(option('--hnsw-up-to', 1_000_000));
const widths = [64, 256, 1024];
const dimension = 384;

const generator = await openGenerator();
const embedder = createHashEmbedder({ dimension });
const queries = (await embedder.embed(generator.queries(queryCount)))
  .filter((v) => v.some((x) => x !== 0))
  .map((vector) => quantize(vector));
const timeEach = (search) => {
  const times = [];
  const results = queries.map((query) => {
    const started = performance.now();
    const keys = search(query);
    times.push(performance.now() - started);
    return keys;
  });
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), results };
};
const rssMb = () => process.memoryUsage().rss / 1024 / 1024;

const rows = new Int8Array(sizes.at(-1) * dimension);
let filled = 0;
const graphConfig = (width) => ({
  dimensions: dimension,
  metric: 'cos',
  quantization: 'i8',
  connectivity: 16,
  expansion_add: 128,
  expansion_search: width,
  multi: false,
});
const hnsw = new Index(graphConfig(64));
// The graph is saved at each size and opened again (memory-mapped) with each search width: the width is
// set when an index is made, and opening a saved one is what a restart would do.
const folder = mkdtempSync(join(tmpdir(), 'sluice-hnsw-'));
const saved = join(folder, 'graph.usearch');
let buildMs = 0;
const table = [];
for (const size of sizes) {
  while (filled < size) {
    const count = Math.min(1000, size - filled);
    const vectors = await embedder.embed(Array.from({ length: count }, generator.chunkText));
    const block = new Int8Array(count * dimension);
    vectors.forEach((vector, i) => quantize(vector, block.subarray(i * dimension, (i + 1) * dimension)));
    rows.set(block, filled * dimension);
    if (size <= hnswUpTo) {
      const started = performance.now();
      hnsw.add(
        BigUint64Array.from({ length: count }, (_, i) => BigInt(filled + i)),
        block,
        0,
      );
      buildMs += performance.now() - started;
    }
    filled += count;
  }
  const matrix = rows.subarray(0, size * dimension);
  const keysOf = (found) => Array.from(found.keys, Number);
  const exact1 = timeEach((q) => keysOf(exactSearch(matrix, q, dimension, 10, 'cos', 1)));
  const exact2 = timeEach((q) => keysOf(exactSearch(matrix, q, dimension, 10, 'cos', 2)));
  const row = {
    size,
    exact1: [exact1.p50, exact1.p99],
    exact2: [exact2.p50, exact2.p99],
    int8Mb: matrix.byteLength / 2 ** 20,
  };
  if (size <= hnswUpTo) {
    row.buildSeconds = buildMs / 1000;
    hnsw.save(saved);
    row.hnswMb = statSync(saved).size / 2 ** 20;
    row.widths = widths.map((width) => {
      const opened = performance.now();
      const graph = new Index(graphConfig(width));
      graph.view(saved);
      const openMs = performance.now() - opened;
      const found = timeEach((q) => keysOf(graph.search(q, 10, 1)));
      let agreeing = 0;
      found.results.forEach((keys, i) => {
        const truth = new Set(exact1.results[i]);
        agreeing += keys.filter((key) => truth.has(key)).length;
      });
      return { width, openMs, p50: found.p50, p99: found.p99, recall: agreeing / (10 * queries.length) };
    });
  }
  row.rssMb = rssMb();
  table.push(row);
  console.error(JSON.stringify(row));
}

rmSync(folder, { recursive: true, force: true });
console.log(`\n${queries.length} queries, top 10, ms p50 / p99`);
console.log(
  '| chunks | int8 exact, 1 thread | int8 exact, 2 threads | HNSW build | ' +
    widths.map((w) => `HNSW ef ${w}: ms, recall@10`).join(' | ') +
    ' | HNSW file, opened in | RSS |',
);
console.log(`|---:|---:|---:|---:|${widths.map(() => '---:').join('|')}|---:|---:|`);
for (const r of table) {
  const hnswCells = r.widths
    ? r.widths.map((w) => `${w.p50.toFixed(2)} / ${w.p99.toFixed(2)}, ${(100 * w.recall).toFixed(1)} %`)
    : widths.map(() => '–');
  console.log(
    `| ${r.size.toLocaleString('en')} | ${r.exact1.map((x) => x.toFixed(1)).join(' / ')} | ${r.exact2.map((x) => x.toFixed(1)).join(' / ')} | ${r.buildSeconds === undefined ? '–' : `${r.buildSeconds.toFixed(0)} s`} | ${hnswCells.join(' | ')} | ${r.hnswMb === undefined ? '–' : `${r.hnswMb.toFixed(0)} MB, ${r.widths[0].openMs.toFixed(0)} ms`} | ${r.rssMb.toFixed(0)} MB |`,
  );
}
