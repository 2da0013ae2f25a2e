// `npm run bench:profile`: where an ingest's time goes, step by step, in one process with no queue:
// read the file, sniff and parse it, chunk it (cl100k tokens, 500/50), embed the chunks (`hash`, batches
// of 100), and publish them to a SQLite store (chunks, sqlite-vec vectors, FTS5, one transaction per
// document). Each step is timed around its own call, so the shares add up to the whole; the
// pipeline's own split between its main thread and its parse processes comes from `npm run bench`
// (CPU time of each, printed by bench/measure.js).
//   npm run bench:profile [-- <folder under bench/corpus> ...]   (default: docs and large)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chunkText } from '../dist/core/chunker.js';
import { createHashEmbedder } from '../dist/embedders/hash-embedder.js';
import { createDocumentParser } from '../dist/parsers/create-document-parser.js';
import { expandPaths } from '../dist/services/expand-paths.js';
import { createSqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { createCl100kTokenizer } from '../dist/tokenizers/cl100k-tokenizer.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const folders = (process.argv.length > 2 ? process.argv.slice(2) : ['docs', 'large']).map((f) =>
  join(here, 'corpus', f),
);
if (!folders.every(existsSync)) {
  console.error('No corpus yet: run `npm run bench:corpus` first.');
  process.exit(1);
}
const { files } = await expandPaths(folders, process.cwd());
const dir = mkdtempSync(join(tmpdir(), 'sluice-profile-'));
const store = createSqliteStore({ path: join(dir, 'sluice.db') });
const parser = createDocumentParser({ maxFileBytes: 200 * 1024 * 1024, parseTimeoutMs: 600_000 });
const tokenizer = createCl100kTokenizer();
const embedder = createHashEmbedder({ dimension: 384 });
const tenant = await store.ensureTenant('default');
const collection = await store.ensureCollection(tenant.id, 'profile', embedder.spec);
const batch = await store.createBatch(collection.id, 'profile');

const steps = { read: 0, parse: 0, chunk: 0, embed: 0, write: 0 };
const timed = async (step, work) => {
  const started = performance.now();
  const result = await work();
  steps[step] += performance.now() - started;
  return result;
};
let chunkCount = 0;
let bytes = 0;
for (const [i, file] of files.entries()) {
  const data = await timed('read', () => readFile(file.path));
  bytes += data.byteLength;
  const parsed = await timed('parse', () => parser.parse({ bytes: data, source: file.path }));
  const chunks = await timed('chunk', () => chunkText(parsed, tokenizer, { maxTokens: 500, overlapTokens: 50 }));
  const vectors = [];
  for (let start = 0; start < chunks.length; start += 100) {
    vectors.push(...(await timed('embed', () => embedder.embed(chunks.slice(start, start + 100).map((c) => c.text)))));
  }
  await timed('write', async () => {
    const { document } = await store.registerDocument({
      collectionId: collection.id,
      batchId: batch.id,
      source: file.path,
      sha256: String(i).padStart(64, '0'),
      sizeBytes: data.byteLength,
    });
    await store.claim(document.id, `att_${i}`);
    await store.setStage(document.id, `att_${i}`, 'indexing');
    await store.complete(
      document.id,
      `att_${i}`,
      parsed.mediaType,
      chunks.map((c, n) => ({ ...c, vector: vectors[n] })),
    );
  });
  chunkCount += chunks.length;
}
await store.close();
rmSync(dir, { recursive: true, force: true });

const total = Object.values(steps).reduce((sum, ms) => sum + ms, 0);
console.log(
  `\nWhere the time goes — ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB, ${chunkCount} chunks, one process, ${(total / 1000).toFixed(2)} s`,
);
console.log(`${'step'.padEnd(10)}${'seconds'.padStart(9)}${'share'.padStart(8)}`);
for (const [step, ms] of Object.entries(steps)) {
  console.log(
    `${step.padEnd(10)}${(ms / 1000).toFixed(2).padStart(9)}${`${((100 * ms) / total).toFixed(1)}%`.padStart(8)}`,
  );
}
