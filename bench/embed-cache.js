// `npm run bench:cache`: what the embedding cache saves when edited documents are ingested again.
// An OpenAI-compatible embeddings server runs in this process as a stand-in for a hosted API (40 ms
// per request, as a fast region answers); the corpus is ingested once, every file is then edited (a
// paragraph appended), and the edited corpus is ingested again with the cache on and with it off,
// each in its own copy of the first ledger. Figures: inputs and requests sent to the model, seconds.
import { appendFileSync, cpSync, existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../dist/app/config.js';
import { createApp } from '../dist/app/create-app.js';
import { createHashEmbedder } from '../dist/embedders/hash-embedder.js';
import { expandPaths } from '../dist/services/expand-paths.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const source = join(here, 'corpus/docs/python-text');
if (!existsSync(source)) {
  console.error('No corpus yet: run `npm run bench:corpus` first.');
  process.exit(1);
}
const latencyMs = 40;
const dimension = 384;
const hash = createHashEmbedder({ dimension });
const counts = { requests: 0, inputs: 0 };
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', async () => {
    const { input } = JSON.parse(body);
    counts.requests++;
    counts.inputs += input.length;
    const vectors = await hash.embed(input);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: vectors.map((v, index) => ({ index, embedding: [...v] })) }));
    }, latencyMs);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const baseUrl = `http://127.0.0.1:${server.address().port}/v1`;

const root = mkdtempSync(join(tmpdir(), 'sluice-cache-bench-'));
const folder = join(root, 'corpus');
cpSync(source, folder, { recursive: true });

async function ingest(dataDir, embedCache) {
  const config = loadConfig(process.env, {
    dataDir,
    logLevel: 'silent',
    embedder: 'openai',
    openaiBaseUrl: baseUrl,
    embedDimension: dimension,
    embedModel: 'bench-model',
    embedCache,
  });
  const app = await createApp(config);
  await app.startWorkers();
  const collection = await app.ensureCollection((await app.defaultTenant()).id, 'bench');
  const batch = await app.store.createBatch(collection.id, 'bench');
  const { files } = await expandPaths([folder], process.cwd());
  const before = { ...counts };
  const started = performance.now();
  await app.submit({ collection, batch, files });
  await app.queue.idle();
  const seconds = (performance.now() - started) / 1000;
  const progress = await app.store.getBatchProgress(batch.id);
  await app.close();
  return {
    seconds,
    requests: counts.requests - before.requests,
    inputs: counts.inputs - before.inputs,
    completed: progress.byState.completed ?? 0,
    files: files.length,
  };
}

const first = join(root, 'first');
const initial = await ingest(first, true);
for (const file of (await expandPaths([folder], process.cwd())).files) {
  appendFileSync(file.path, '\n\nAn added closing paragraph: this file was edited after its first ingest.\n');
}
const withCache = join(root, 'with-cache');
const withoutCache = join(root, 'without-cache');
cpSync(first, withCache, { recursive: true });
cpSync(first, withoutCache, { recursive: true });
const rows = [
  ['first ingest (cache filling)', initial],
  ['edited, re-ingest, cache on', await ingest(withCache, true)],
  ['edited, re-ingest, cache off', await ingest(withoutCache, false)],
];
server.close();

console.log(
  `\nEmbedding cache — ${initial.files} files (python3.11-doc text), stand-in API at ${latencyMs} ms per request`,
);
console.log(
  `${'run'.padEnd(32)}${'seconds'.padStart(9)}${'requests'.padStart(10)}${'inputs'.padStart(9)}${'docs'.padStart(6)}`,
);
for (const [label, r] of rows) {
  console.log(
    `${label.padEnd(32)}${r.seconds.toFixed(2).padStart(9)}${String(r.requests).padStart(10)}${String(r.inputs).padStart(9)}${String(r.completed).padStart(6)}`,
  );
}
const on = rows[1][1];
const off = rows[2][1];
console.log(
  `cache on sends ${((100 * on.inputs) / off.inputs).toFixed(1)}% of the inputs and takes ${((100 * on.seconds) / off.seconds).toFixed(1)}% of the time of cache off`,
);
