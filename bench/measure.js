// One measurement in a fresh process, so peak RSS belongs to it alone. Prints one JSON line.
//   node bench/measure.js pipeline|tight <path>...
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../dist/app/config.js';
import { createApp } from '../dist/app/create-app.js';
import { chunkText } from '../dist/core/chunker.js';
import { createHashEmbedder } from '../dist/embedders/hash-embedder.js';
import { createDocumentParser } from '../dist/parsers/create-document-parser.js';
import { expandPaths } from '../dist/services/expand-paths.js';
import { createCl100kTokenizer } from '../dist/tokenizers/cl100k-tokenizer.js';

const [mode, ...paths] = process.argv.slice(2);
const { files } = await expandPaths(paths, process.cwd());
const bytes = files.reduce((sum, f) => sum + f.sizeBytes, 0);
const config = loadConfig(process.env, { logLevel: 'silent', dataDir: mkdtempSync(join(tmpdir(), 'sluice-bench-')) });

async function pipeline() {
  const app = await createApp(config);
  await app.startWorkers();
  const collection = await app.ensureCollection((await app.defaultTenant()).id, 'bench');
  const batch = await app.store.createBatch(collection.id, 'bench');
  const started = performance.now();
  await app.submit({ collection, batch, files });
  await app.queue.idle();
  const ms = performance.now() - started;
  const progress = await app.store.getBatchProgress(batch.id);
  const chunks = await app.store.countChunks(collection.id);
  await app.close();
  return { ms, chunks, completed: progress.byState.completed ?? 0, failed: progress.byState.failed ?? 0 };
}

/** The ceiling: parse → chunk → embed in one loop, no blob store, no ledger, no queue. */
async function tight() {
  const parser = createDocumentParser({ maxFileBytes: config.maxFileBytes, parseTimeoutMs: config.parseTimeoutMs });
  const tokenizer = createCl100kTokenizer();
  const embedder = createHashEmbedder({ dimension: config.embedDimension });
  const options = { maxTokens: config.chunkTokens, overlapTokens: config.chunkOverlap };
  const started = performance.now();
  let chunks = 0;
  let completed = 0;
  let failed = 0;
  for (const file of files) {
    try {
      const parsed = await parser.parse({ bytes: await readFile(file.path), source: file.path });
      const pieces = await chunkText(parsed, tokenizer, options);
      for (let i = 0; i < pieces.length; i += config.embedBatchSize) {
        await embedder.embed(pieces.slice(i, i + config.embedBatchSize).map((c) => c.text));
      }
      chunks += pieces.length;
      completed++;
    } catch {
      failed++;
    }
  }
  return { ms: performance.now() - started, chunks, completed, failed };
}

const result = mode === 'tight' ? await tight() : await pipeline();
rmSync(config.dataDir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ mode, files: files.length, bytes, ...result, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
