// `npm run bench:scale`: one collection grown to a million chunks, and what its size does to writes,
// queries, memory and a restart. The chunks are generated from the fetched corpus's sentences
// (`npm run bench:corpus`; see generated-chunks.js), embedded with the `hash` embedder (384
// dimensions) and written 100 to a document through the store's own publish step, as ingestion writes
// them; parsing is left out, since its cost does not depend on the collection's size.
// At each checkpoint, one query at a time after a warm-up:
//   - hybrid, vector and text p50/p99 over queries of 3 to 6 words, and text p99 over one common word
//     (a word in most chunks: the costliest text query);
//   - vector recall@10 of the store's search against an exact float scan (sqlite-vec's, or a
//     sequential scan on PostgreSQL), on a sample of the queries;
//   - the process's RSS now and at its peak;
//   - the store closed and opened again: the first hybrid query's time;
// and the write rate of each slice of 100,000 chunks (the first against the last is the goal).
//   npm run bench:scale [-- --chunks 1000000] [-- --checkpoints 10000,100000,300000,1000000]
//     [-- --stores sqlite,postgres] [-- --queries 200] [-- --recall-queries 30] [-- --quick] [-- --keep]
// --keep: the SQLite file is left in place (its path is printed), for a closer look.
// --quick: 100,000 chunks, checkpoints at 10,000, 30,000 and 100,000 (about 5 minutes for SQLite).
// A full run to 1,000,000 chunks takes about an hour per store on a 2-core machine, and 5 GB of disk
// for SQLite. PostgreSQL is BENCH_DATABASE_URL (`bash bench/setup-postgres.sh` makes one); its
// collection is made in a database of its own, dropped after.
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHashEmbedder } from '../dist/embedders/hash-embedder.js';
import { searchCollection } from '../dist/services/search-service.js';
import { createSqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { createPgStore } from '../dist/store/postgres/pg-store.js';
import { percentile } from './bench-helpers.js';
import { openGenerator, writeDocument } from './generated-chunks.js';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const quick = args.includes('--quick');
const totalChunks = Number(option('--chunks', quick ? 100_000 : 1_000_000));
const checkpoints = option('--checkpoints', quick ? '10000,30000,100000' : '10000,100000,300000,1000000')
  .split(',')
  .map(Number)
  .filter((n) => n <= totalChunks);
const queryCount = Number(option('--queries', 200));
const recallQueries = Number(option('--recall-queries', 30));
const stores = option('--stores', 'sqlite').split(',');
const slice = 100_000;
const perDocument = 100;
const warmUp = 20;

const generator = await openGenerator();
const queries = generator.queries(queryCount + warmUp);
const commonWords = generator.commonWords(50);
const embedder = createHashEmbedder({ dimension: 384 });

const kbOf = (field) => Number(readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${field}:\\s+(\\d+)`))[1]);
// The serving process's memory, sampled every 50 ms except while the exact scan for recall runs (its
// own connection maps the file again). RSS counts the search connection's mapped pages of the file
// (page cache, given back under pressure) as well as the process's own memory (anonymous).
const memory = { peakRss: 0, peakAnon: 0, paused: false };
const sampler = setInterval(() => {
  if (!memory.paused) {
    memory.peakRss = Math.max(memory.peakRss, kbOf('VmRSS'));
    memory.peakAnon = Math.max(memory.peakAnon, kbOf('RssAnon'));
  }
}, 50);
const log = (line) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function timed(store, collection, mode, list) {
  for (const query of list.slice(0, warmUp)) {
    await searchCollection({ store, embedder }, collection, { query, topK: 10, mode });
  }
  const times = [];
  for (const query of list.slice(warmUp)) {
    const started = performance.now();
    await searchCollection({ store, embedder }, collection, { query, topK: 10, mode });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** Milliseconds from `since` until a vector query takes no more than twice `p50` (at most 60 s). */
async function untilFast(store, collection, p50, since) {
  for (let i = 0; performance.now() - since < 60_000; i++) {
    const started = performance.now();
    await searchCollection({ store, embedder }, collection, {
      query: queries[i % queries.length],
      topK: 10,
      mode: 'vector',
    });
    if (performance.now() - started <= 2 * p50) {
      return performance.now() - since;
    }
    // A turn of the event loop, as a server's next request would be: the copy arrives as a message.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return Infinity;
}

/** Share of the exact top 10 that the store's vector search returns (ties at the tenth count). */
async function recall(store, exact, collection) {
  let found = 0;
  let wanted = 0;
  for (const query of queries.slice(warmUp, warmUp + recallQueries)) {
    const [vector] = await embedder.embed([query]);
    if (vector.every((x) => x === 0)) {
      continue;
    }
    const truth = await exact(collection, vector);
    const tenth = truth.at(-1)?.score ?? -Infinity;
    const got = await store.searchVector(collection.id, vector, 10);
    found += Math.min(truth.length, got.filter((hit) => hit.score >= tenth - 1e-5).length);
    wanted += truth.length;
  }
  return wanted === 0 ? 1 : found / wanted;
}

async function sqliteStore() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-scale-'));
  const path = join(dir, 'sluice.db');
  return {
    label: 'SQLite (embedded)',
    // Measured with each collection's vector copy read on the searching thread, so that the timed
    // queries never meet one being read on its own thread; a restart is measured as a server starts.
    open: async () => createSqliteStore({ path, backgroundLoadRows: 0 }),
    restart: async () => createSqliteStore({ path }),
    exact: async () => {
      const store = createSqliteStore({ path, vectorScanBytes: 0, textSearchThread: false });
      return {
        search: (collection, vector) => store.searchVector(collection.id, vector, 10),
        close: () => store.close(),
      };
    },
    remove: async () => {
      if (args.includes('--keep')) {
        console.error(`kept: ${path}`);
      } else {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

async function postgresStore() {
  const base = process.env.BENCH_DATABASE_URL;
  if (!base) {
    console.error('PostgreSQL needs BENCH_DATABASE_URL: run `bash bench/setup-postgres.sh` first.');
    process.exit(1);
  }
  const { default: pg } = await import('pg');
  const name = `sluice_scale_${process.pid}`;
  const admin = new pg.Client(base);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const connectionString = url.toString();
  return {
    label: 'PostgreSQL + pgvector (distributed)',
    open: async () => createPgStore({ connectionString, maxConnections: 10 }),
    restart: async () => createPgStore({ connectionString, maxConnections: 10 }),
    exact: async () => {
      const client = new pg.Client(connectionString);
      await client.connect();
      return {
        // A sequential scan: the exact distances, without the HNSW index.
        search: async (collection, vector) => {
          await client.query('BEGIN');
          await client.query('SET LOCAL enable_indexscan = off');
          await client.query('SET LOCAL enable_bitmapscan = off');
          const { rows } = await client.query(
            `SELECT 1 - (embedding <=> $1::vector) AS score FROM chunks WHERE collection_id = $2
             ORDER BY embedding <=> $1::vector LIMIT 10`,
            [`[${Array.from(vector).join(',')}]`, collection.id],
          );
          await client.query('COMMIT');
          return rows.map((row) => ({ score: Number(row.score) }));
        },
        close: () => client.end(),
      };
    },
    remove: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const results = [];
for (const kind of stores) {
  const target = kind === 'sqlite' ? await sqliteStore() : await postgresStore();
  let store = await target.open();
  const tenant = await store.ensureTenant('default');
  const collection = await store.ensureCollection(tenant.id, 'scale', embedder.spec);
  const batch = await store.createBatch(collection.id, 'scale');
  const sliceRates = [];
  let written = 0;
  let sliceStarted = performance.now();
  let writeMs = 0;
  try {
    for (const checkpoint of checkpoints) {
      const started = performance.now();
      while (written < checkpoint) {
        const count = Math.min(perDocument, checkpoint - written);
        const texts = Array.from({ length: count }, generator.chunkText);
        const vectors = await embedder.embed(texts);
        await writeDocument(store, {
          collectionId: collection.id,
          batchId: batch.id,
          number: written / perDocument,
          texts,
          vectors,
        });
        written += count;
        if (written % slice === 0) {
          const now = performance.now();
          sliceRates.push({ upTo: written, perSecond: slice / ((writeMs + now - sliceStarted) / 1000) });
          log(
            `${target.label}: ${written} chunks, ${sliceRates.at(-1).perSecond.toFixed(0)} chunks/s over the last ${slice}`,
          );
          sliceStarted = now;
          writeMs = 0;
        }
      }
      // Time spent measuring is not counted in the slice's rate.
      writeMs += performance.now() - sliceStarted;
      const writeSeconds = (performance.now() - started) / 1000;
      log(`${target.label}: ${written} chunks; measuring`);
      const row = { store: target.label, chunks: written, writeSeconds };
      row.hybrid = await timed(store, collection, 'hybrid', queries);
      row.vector = await timed(store, collection, 'vector', queries);
      row.text = await timed(store, collection, 'text', queries);
      row.commonWord = await timed(store, collection, 'text', [...commonWords, ...commonWords].slice(0, warmUp + 50));
      row.rssMb = kbOf('VmRSS') / 1024;
      row.anonMb = kbOf('RssAnon') / 1024;
      row.peakRssMb = memory.peakRss / 1024;
      row.peakAnonMb = memory.peakAnon / 1024;
      memory.paused = true;
      const exact = await target.exact();
      try {
        row.recall = await recall(store, exact.search, collection);
      } finally {
        await exact.close();
        memory.paused = false;
      }
      await store.close();
      const reopened = performance.now();
      store = await target.restart();
      await searchCollection({ store, embedder }, collection, { query: queries[0], topK: 10, mode: 'hybrid' });
      row.firstAfterRestartMs = performance.now() - reopened;
      // Until the vector scan is back at its speed: a copy read on a thread of its own meanwhile.
      row.scanBackMs = await untilFast(store, collection, row.vector.p50, reopened);
      await store.close();
      store = await target.open();
      results.push(row);
      log(JSON.stringify(row));
      sliceStarted = performance.now();
    }
  } finally {
    await store.close();
    await target.remove();
  }
  results.push({ store: target.label, sliceRates });
}

const pair = (r) => `${r.p50.toFixed(1)} / ${r.p99.toFixed(1)}`;
console.log(
  '\n| store | chunks | hybrid p50 / p99 | vector p50 / p99 | text p50 / p99 | one common word, text p99 | vector recall@10 | RSS (peak) | of which anonymous (peak) | first query after a restart | vector scan back at speed after |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results.filter((row) => row.chunks)) {
  console.log(
    `| ${r.store} | ${r.chunks.toLocaleString('en')} | ${pair(r.hybrid)} ms | ${pair(r.vector)} ms | ${pair(r.text)} ms | ${r.commonWord.p99.toFixed(1)} ms | ${r.recall.toFixed(3)} | ${r.rssMb.toFixed(0)} MB (${r.peakRssMb.toFixed(0)} MB) | ${r.anonMb.toFixed(0)} MB (${r.peakAnonMb.toFixed(0)} MB) | ${r.firstAfterRestartMs.toFixed(0)} ms | ${r.scanBackMs.toFixed(0)} ms |`,
  );
}
for (const { store, sliceRates } of results.filter((row) => row.sliceRates)) {
  if (sliceRates.length > 0) {
    const first = sliceRates[0].perSecond;
    const last = sliceRates.at(-1).perSecond;
    console.log(
      `\n${store}: writes per slice of ${slice.toLocaleString('en')} chunks: ${sliceRates.map((s) => s.perSecond.toFixed(0)).join(', ')} chunks/s; the last slice at ${((100 * last) / first).toFixed(1)} % of the first`,
    );
  }
}
clearInterval(sampler);
