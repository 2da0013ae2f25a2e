// `npm run bench:query`: query latency over a collection of 100,000 chunks, for each store Sluice
// runs on: SQLite (sqlite-vec + FTS5, embedded mode) and PostgreSQL (pgvector HNSW + tsvector,
// distributed mode). Each query goes through the search service as the API's query route calls it:
// embed the query, kNN and/or full text, fuse. One query at a time after a warm-up; p50/p99 per mode.
//   npm run bench:query [-- --chunks 100000] [-- --queries 300] [-- --stores sqlite,postgres]
// PostgreSQL is BENCH_DATABASE_URL when set (a server with pgvector), else PGlite with its pgvector
// extension over pglite-socket: the stand-in the tests use, a single-threaded WebAssembly build.
// The first query's time is shown apart: for SQLite, it loads the collection into the in-memory scan.
// The same SQLite file is also searched with sqlite-vec's own scan, and with full text ranked on the
// calling thread instead of the store's text-search thread, for comparison.
// The chunks are sentences of the fetched corpus (`npm run bench:corpus`) drawn at random into chunks
// of about 400 tokens, so 100,000 of them are all different; they are written through the store's own
// publish step (`complete`), 100 chunks to a document, as ingestion writes them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHashEmbedder } from '../dist/embedders/hash-embedder.js';
import { searchCollection } from '../dist/services/search-service.js';
import { createSqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { vectorIndexName } from '../dist/store/postgres/pg-migrations.js';
import { createPgStore } from '../dist/store/postgres/pg-store.js';
import { percentile } from './bench-helpers.js';
import { openGenerator, writeDocument } from './generated-chunks.js';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const totalChunks = Number(option('--chunks', 100_000));
const queryCount = Number(option('--queries', 300));
const stores = option('--stores', 'sqlite,postgres').split(',');

const generator = await openGenerator();
const queries = generator.queries(queryCount + 20);

const embedder = createHashEmbedder({ dimension: 384 });
const perDocument = 100;

async function load(store, postgresUrl) {
  const tenant = await store.ensureTenant('default');
  const collection = await store.ensureCollection(tenant.id, 'bench', embedder.spec);
  const batch = await store.createBatch(collection.id, 'bench');
  // PostgreSQL: the collection's HNSW index is dropped for the load and built again after it, as
  // pgvector advises for bulk loads. Kept while loading, it is updated on every insert: 4–8 ms a row
  // on this machine, and 100,000 rows would take hours (PGlite: 2,103 s).
  const hnsw = postgresUrl ? await dropVectorIndex(postgresUrl, collection.id) : undefined;
  const started = performance.now();
  for (let doc = 0; doc * perDocument < totalChunks; doc++) {
    const texts = Array.from({ length: Math.min(perDocument, totalChunks - doc * perDocument) }, generator.chunkText);
    const vectors = await embedder.embed(texts);
    await writeDocument(store, { collectionId: collection.id, batchId: batch.id, number: doc, texts, vectors });
  }
  const loadSeconds = (performance.now() - started) / 1000;
  const indexSeconds = hnsw ? await hnsw.rebuild() : undefined;
  return { collection, loadSeconds, indexSeconds };
}

/** Drops the collection's HNSW index; `rebuild` creates it again as it was, timed, in seconds. */
async function dropVectorIndex(url, collectionId) {
  const { default: pg } = await import('pg');
  const withClient = async (work) => {
    const client = new pg.Client(url);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  const name = vectorIndexName(collectionId);
  const definition = await withClient(async (client) => {
    const { rows } = await client.query('SELECT indexdef FROM pg_indexes WHERE indexname = $1', [name]);
    await client.query(`DROP INDEX ${name}`);
    return rows[0].indexdef;
  });
  return {
    rebuild: () =>
      withClient(async (client) => {
        const started = performance.now();
        // The graph is built in memory when it fits: 100,000 rows of 384 floats need about 250 MB.
        await client.query("SET maintenance_work_mem = '1GB'");
        await client.query(definition);
        await client.query('ANALYZE chunks');
        return (performance.now() - started) / 1000;
      }),
  };
}

async function measure(store, collection) {
  // The first query of all: for SQLite, it also loads the collection's vectors into the in-memory scan.
  const firstStarted = performance.now();
  await searchCollection({ store, embedder }, collection, { query: queries[0], topK: 5, mode: 'vector' });
  const results = { firstMs: performance.now() - firstStarted };
  for (const mode of ['hybrid', 'vector', 'text']) {
    for (const query of queries.slice(0, 20)) {
      await searchCollection({ store, embedder }, collection, { query, topK: 5, mode });
    }
    const times = [];
    let empty = 0;
    for (const query of queries.slice(20)) {
      const started = performance.now();
      const hits = await searchCollection({ store, embedder }, collection, { query, topK: 5, mode });
      times.push(performance.now() - started);
      empty += hits.length === 0 ? 1 : 0;
    }
    times.sort((a, b) => a - b);
    results[mode] = { p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1], empty };
  }
  return results;
}

async function openPostgres() {
  if (process.env.BENCH_DATABASE_URL) {
    return {
      url: process.env.BENCH_DATABASE_URL,
      label: 'PostgreSQL (BENCH_DATABASE_URL)',
      stop: async () => undefined,
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create({ extensions: { vector } });
  await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
  // A second connection drops and rebuilds the HNSW index around the load, while the store's stays open.
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 4 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    label: 'PostgreSQL: PGlite + pgvector over pglite-socket',
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

const rows = [];
let sqlitePath;
for (const kind of stores) {
  let store;
  let label;
  let cleanup;
  let postgresUrl;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-query-'));
    sqlitePath = join(dir, 'sluice.db');
    store = createSqliteStore({ path: sqlitePath });
    label = 'SQLite: in-memory int8 scan, FTS5 (embedded)';
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const postgres = await openPostgres();
    postgresUrl = postgres.url;
    // PGlite serves one session: one connection keeps the requests of different clients apart.
    store = await createPgStore({
      connectionString: postgres.url,
      maxConnections: process.env.BENCH_DATABASE_URL ? 10 : 1,
    });
    label = postgres.label;
    cleanup = postgres.stop;
  }
  const { collection, loadSeconds, indexSeconds } = await load(store, postgresUrl);
  const chunks = await store.countChunks(collection.id);
  const built = indexSeconds === undefined ? '' : `, HNSW index built after in ${indexSeconds.toFixed(1)} s`;
  console.error(`${label}: ${chunks} chunks written in ${loadSeconds.toFixed(1)} s${built}`);
  rows.push({ label, chunks, loadSeconds, ...(await measure(store, collection)) });
  if (kind === 'sqlite') {
    // The same file searched with sqlite-vec's own scan instead of the in-memory int8 one, and how many
    // of the in-memory scan's top 5 are as near as sqlite-vec's fifth (ties of equal score count).
    const exact = createSqliteStore({ path: sqlitePath, vectorScanBytes: 0 });
    rows.push({ label: 'SQLite: sqlite-vec scan, FTS5', chunks, loadSeconds, ...(await measure(exact, collection)) });
    let agreeing = 0;
    let total = 0;
    let zero = 0;
    for (const query of queries.slice(20)) {
      const [vector] = await embedder.embed([query]);
      // A query of no word (a line of dashes): sqlite-vec scores every chunk 1 against a zero vector,
      // the in-memory scan 0; neither order means anything.
      if (vector.every((x) => x === 0)) {
        zero++;
        continue;
      }
      const fast = await store.searchVector(collection.id, vector, 5);
      const slow = await exact.searchVector(collection.id, vector, 5);
      const fifth = slow.at(-1)?.score ?? -Infinity;
      agreeing += fast.filter((hit) => hit.score >= fifth - 1e-5).length;
      total += slow.length;
    }
    console.error(
      `in-memory scan against sqlite-vec: ${agreeing} of ${total} top-5 hits as near as sqlite-vec's (${((100 * agreeing) / total).toFixed(1)} %); ` +
        `${zero} queries of no word left out`,
    );
    await exact.close();
    // The same file with full text ranked on the calling thread, after the vector scan, rather than
    // on the store's text-search thread beside it.
    const oneThread = createSqliteStore({ path: sqlitePath, textSearchThread: false });
    rows.push({
      label: 'SQLite: int8 scan, FTS5 on the calling thread',
      chunks,
      loadSeconds,
      ...(await measure(oneThread, collection)),
    });
    await oneThread.close();
  }
  await store.close();
  await cleanup();
}

console.log(`\nQuery latency, top 5, ${queryCount} queries per mode one at a time (after 20 to warm up); ms`);
console.log(
  `${'store'.padEnd(52)}${'chunks'.padStart(8)}${'hybrid p50/p99'.padStart(17)}${'vector p50/p99'.padStart(17)}${'text p50/p99'.padStart(17)}${'first'.padStart(9)}`,
);
const pair = (r) => `${r.p50.toFixed(1)} / ${r.p99.toFixed(1)}`.padStart(17);
for (const row of rows) {
  console.log(
    `${row.label.padEnd(52)}${String(row.chunks).padStart(8)}${pair(row.hybrid)}${pair(row.vector)}${pair(row.text)}${row.firstMs.toFixed(0).padStart(9)}`,
  );
}
const empties = rows.flatMap((r) =>
  ['hybrid', 'vector', 'text'].filter((m) => r[m].empty > 0).map((m) => `${r.label} ${m}: ${r[m].empty}`),
);
if (empties.length > 0) {
  console.log(`queries with no hit: ${empties.join('; ')}`);
}
