// `npm run bench:rate`: an embedding API used to its limit. A local provider that enforces 100,000
// tokens a minute in a sliding window and answers in 200–800 ms (bench/rate-limited-provider.js)
// embeds a generated corpus of about 520,000 tokens three ways, one after another:
//   - Sluice, distributed: 2 `sluice worker` processes sharing the limit through Redis
//     (SLUICE_EMBED_TPM=100000), the ledger a SQLite file they share;
//   - the same without SLUICE_EMBED_TPM: only the provider's 429s and their Retry-After pace it;
//   - LangChain.js's OpenAIEmbeddings (defaults: maxConcurrency, maxRetries) over the same chunks'
//     texts (`npm ci --prefix bench/peers` first; skipped without it).
// Each row: seconds, tokens accepted and accepted a minute (against the limit), calls answered 429, and
// the fewest seconds the provider's window allows for those tokens (the limit at once, then the limit
// each minute) with their share of the seconds taken. About 6 minutes a row. `--tpm <n>` and
// `--tokens <n>` scale it down.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { freePort, sleep } from './bench-helpers.js';
import { startRateLimitedProvider } from './rate-limited-provider.js';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const tokensPerMinute = option('--tpm', 100_000);
const corpusTokens = option('--tokens', 5.2 * tokensPerMinute);
const dimension = 64;
const cli = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
const peerScript = fileURLToPath(new URL('./peers/embed-peer.js', import.meta.url));
const peersInstalled = existsSync(fileURLToPath(new URL('./peers/node_modules/@langchain/openai', import.meta.url)));

const { createCl100kTokenizer } = await import('../dist/tokenizers/cl100k-tokenizer.js');
const { loadConfig } = await import('../dist/app/config.js');
const { createApp } = await import('../dist/app/create-app.js');
const { expandPaths } = await import('../dist/services/expand-paths.js');
const tokenizer = createCl100kTokenizer();
const provider = await startRateLimitedProvider({
  tokensPerMinute,
  requestsPerMinute: 0,
  dimension,
  countTokens: (text) => tokenizer.count(text),
});

/** Files of prose from a fixed vocabulary, `corpusTokens` cl100k tokens in all, each of its own words. */
function writeCorpus(folder) {
  mkdirSync(folder, { recursive: true });
  const vocabulary = Array.from({ length: 4000 }, (_, i) => `word${i.toString(36)}`);
  let written = 0;
  for (let f = 0; written < corpusTokens; f++) {
    const sentences = [];
    for (let s = 0; s < 400; s++) {
      const words = Array.from({ length: 12 }, (_, w) => vocabulary[(f * 7919 + s * 104_729 + w * 31) % 4000]);
      sentences.push(`${words.join(' ')} file ${f} sentence ${s}.`);
    }
    const text = sentences.join(' ');
    written += tokenizer.count(text);
    writeFileSync(join(folder, `f${f}.txt`), text);
  }
}

/** The fewest seconds a provider with this window takes to accept `tokens`: the limit at once, then a limit a minute. */
const idealSeconds = (tokens) => Math.max(0, Math.ceil(tokens / tokensPerMinute) - 1) * 60;

function row(label, seconds) {
  const { tokens, calls, limited } = provider.stats;
  const ideal = idealSeconds(tokens);
  return { label, seconds, tokens, calls, limited, share: seconds > 0 ? Math.min(1, ideal / seconds) : 1, ideal };
}

/** Sluice on this machine: a redis-server, 2 workers, and this process as the API node submitting the files. */
async function sluice(label, folder, env) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-rate-bench-'));
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await sleep(300);
  const processEnv = {
    ...process.env,
    REDIS_URL: `redis://127.0.0.1:${port}`,
    SLUICE_DATA_DIR: dataDir,
    SLUICE_LOG_LEVEL: 'silent',
    SLUICE_EMBEDDER: 'openai',
    SLUICE_OPENAI_BASE_URL: provider.url,
    SLUICE_OPENAI_API_KEY: 'sk-bench',
    SLUICE_EMBED_MODEL: 'text-embedding-3-small',
    SLUICE_EMBED_DIMENSION: String(dimension),
    SLUICE_EMBED_CACHE: 'false',
    ...env,
  };
  const app = await createApp(loadConfig(processEnv, {}));
  const workers = Array.from({ length: 2 }, () =>
    spawn(process.execPath, [cli, 'worker'], { env: processEnv, stdio: 'ignore' }),
  );
  while ((await app.store.listLiveWorkers(15_000)).length < workers.length) {
    await sleep(50);
  }
  const collection = await app.ensureCollection((await app.defaultTenant()).id, 'rate');
  const batch = await app.store.createBatch(collection.id, 'rate');
  const { files } = await expandPaths([folder], process.cwd());
  provider.reset();
  const started = performance.now();
  await app.submit({ collection, batch, files });
  let progress = await app.store.getBatchProgress(batch.id);
  while (!progress.finished) {
    await sleep(100);
    progress = await app.store.getBatchProgress(batch.id);
  }
  const result = row(label, (performance.now() - started) / 1000);
  result.failed = progress.byState.failed ?? 0;
  const db = new Database(join(dataDir, 'sluice.db'), { readonly: true });
  const texts = db.prepare('SELECT text FROM chunks ORDER BY id').pluck().all();
  db.close();
  await Promise.all(workers.map((w) => new Promise((resolve) => (w.once('exit', resolve), w.kill('SIGTERM')))));
  await app.close();
  redis.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
  return { result, texts };
}

/** LangChain.js's OpenAIEmbeddings, in its own process (bench/peers holds its packages), over `texts`. */
async function langchain(texts) {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-rate-peer-')), 'texts.json');
  writeFileSync(file, JSON.stringify(texts));
  provider.reset();
  const started = performance.now();
  const child = spawn(process.execPath, [peerScript, provider.url, file, String(dimension)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const result = row('LangChain.js OpenAIEmbeddings (defaults)', (performance.now() - started) / 1000);
  result.failed = code === 0 ? 0 : `exit ${code}: ${out.trim().slice(-200)}`;
  return result;
}

const folder = join(mkdtempSync(join(tmpdir(), 'sluice-rate-corpus-')), 'corpus');
writeCorpus(folder);
const results = [];
const limited = await sluice('Sluice, 2 workers, SLUICE_EMBED_TPM set', folder, {
  SLUICE_EMBED_TPM: String(tokensPerMinute),
});
results.push(limited.result);
results.push((await sluice('Sluice, 2 workers, no SLUICE_EMBED_TPM', folder, {})).result);
if (peersInstalled) {
  results.push(await langchain(limited.texts));
}
await provider.close();
rmSync(folder, { recursive: true, force: true });

console.log(
  `\nEmbedding at a limit of ${tokensPerMinute} tokens a minute (sliding 60 s window, 200–800 ms answers), about ${corpusTokens} tokens of text`,
);
console.log(
  '| run | seconds | tokens accepted | tokens a minute (of the limit) | calls | answered 429 | fewest seconds the window allows (share) |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  const perMinute = r.seconds > 0 ? (60 * r.tokens) / r.seconds : 0;
  console.log(
    `| ${r.label}${r.failed ? ` (failed: ${r.failed})` : ''} | ${r.seconds.toFixed(1)} | ${r.tokens} | ${perMinute.toFixed(0)} (${((100 * perMinute) / tokensPerMinute).toFixed(1)} %) | ${r.calls} | ${r.limited} (${((100 * r.limited) / Math.max(1, r.calls)).toFixed(1)} %) | ${r.ideal} (${(100 * r.share).toFixed(1)} %) |`,
  );
}
if (!peersInstalled) {
  console.log('(LangChain.js skipped: run `npm ci --prefix bench/peers` first)');
}
