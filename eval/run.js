// `npm run eval`: retrieval quality over a multilingual corpus (`bash eval/fetch-corpus.sh` first): each
// language in a collection of its own, every question of eval/questions.json asked in each mode, hit@5
// and MRR per mode and language; word recall of text search for Chinese and Japanese words (every chunk
// holding the word, found with k = 1,000?); form recall of German and French words (every chunk holding
// any inflected form of a word, found by searching its first form); chunk hygiene (chunks mostly made of lines repeated on
// many pages of their collection: navigation and other page chrome; code blocks of the HTML pages that
// fit a chunk but were cut); the language detected per document; and, with --mixed, all HTML languages
// in one collection, each language's questions asked with and without a language filter.
//   node eval/run.js [--langs en-US,ja-JP] [--modes hybrid,text] [--mixed]   (SLUICE_EMBEDDER etc. choose the embedder)
//   node eval/run.js --model use   (a real English model, the Universal Sentence Encoder lite, served by
//     eval/model/embeddings-server.js as an OpenAI-compatible API: `npm run eval:model` installs it;
//     English collections only unless --langs says otherwise)
// SLUICE_EVAL_BLOCKS names the html-to-text module that finds code blocks (default: this tree's dist), so
// that an older build's chunks can be measured against the same blocks.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const { loadConfig } = await import('../dist/app/config.js');
const { createApp } = await import('../dist/app/create-app.js');
const { expandPaths } = await import('../dist/services/expand-paths.js');
const { htmlToText } = await import(process.env.SLUICE_EVAL_BLOCKS ?? '../dist/parsers/html-to-text.js');

const { questions, words, forms } = JSON.parse(readFileSync(join(here, 'questions.json'), 'utf8'));
const model = option('--model', undefined);
const modelServer = model === undefined ? undefined : await startModelServer(model);
const langs = option(
  '--langs',
  model === undefined ? [...new Set(questions.map((q) => q.lang))].join(',') : 'en-US,en-pdf',
).split(',');
const modes = option('--modes', 'hybrid,vector,text').split(',');
const k = 5;
/** The language code each folder's documents should be detected as. */
const expectedLanguage = (lang) => (lang === 'en-pdf' ? 'en' : lang.slice(0, 2));
/**
 * Starts the local embedding API of a real model and points Sluice's `openai` embedder at it, for every
 * app this run creates (they read the environment).
 */
async function startModelServer(name) {
  if (name !== 'use') {
    console.error(`Unknown model ${name}: the one served here is \`use\` (Universal Sentence Encoder lite).`);
    process.exit(1);
  }
  if (!existsSync(join(here, 'model', 'node_modules', '@energetic-ai', 'embeddings'))) {
    console.error('The model is not installed: run `npm run eval:model` first.');
    process.exit(1);
  }
  const child = spawn(process.execPath, [join(here, 'model', 'embeddings-server.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Stopped with this run, however it ends.
  process.once('exit', () => child.kill());
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (part) => {
      out += part;
      const found = /listening (\S+)/.exec(out);
      if (found) {
        resolve(found[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`The model server exited (${code}) before listening`)));
    setTimeout(() => reject(new Error('The model server did not start listening within 2 minutes')), 120_000).unref();
  });
  Object.assign(process.env, {
    SLUICE_EMBEDDER: 'openai',
    SLUICE_OPENAI_BASE_URL: url,
    SLUICE_OPENAI_API_KEY: 'local',
    SLUICE_EMBED_MODEL: 'universal-sentence-encoder-lite',
    SLUICE_EMBED_DIMENSION: '512',
    // The model runs on the CPU: smaller batches than the default, and a long time limit for each.
    SLUICE_EMBED_BATCH_SIZE: '32',
    SLUICE_EMBED_TIMEOUT_MS: '600000',
  });
  return child;
}

/** Code blocks up to this many characters fit any chunk of the default size (500 tokens). */
const blockChars = 1200;

/** The code blocks (`<pre>`) of a collection's HTML files that fit a chunk, as their text. */
function codeBlocksOf(files) {
  return files
    .filter((f) => f.path.endsWith('.html'))
    .flatMap((f) => {
      const { text, codeBlocks = [] } = htmlToText(readFileSync(f.path, 'utf8'));
      return codeBlocks.map(([start, end]) => text.slice(start, end).trim());
    })
    .filter((block) => block.length > 0 && block.length <= blockChars && block.includes('\n'));
}

/** Lines of a collection's chunks that appear on at least this share of its documents count as chrome. */
const repeatedShare = 0.3;

async function evaluate(lang) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-eval-'));
  const app = await createApp(loadConfig(process.env, { dataDir, logLevel: 'silent' }));
  try {
    await app.startWorkers();
    const collection = await app.ensureCollection((await app.defaultTenant()).id, lang);
    const batch = await app.store.createBatch(collection.id, lang);
    const { files } = await expandPaths([join(here, 'corpus', lang)], process.cwd());
    await app.submit({ collection, batch, files });
    await app.queue.idle();
    const progress = await app.store.getBatchProgress(batch.id);

    const asked = questions.filter((q) => q.lang === lang);
    const byMode = {};
    for (const mode of modes) {
      let hits = 0;
      let reciprocal = 0;
      const missed = [];
      for (const q of asked) {
        const found = await app.search(collection, { query: q.question, topK: k, mode });
        const rank = found.findIndex((h) => q.expected.includes(basename(h.source))) + 1;
        hits += rank > 0 ? 1 : 0;
        reciprocal += rank > 0 ? 1 / rank : 0;
        if (rank === 0) {
          missed.push(q.id);
        }
      }
      byMode[mode] = { hitAt5: hits / asked.length, mrr: reciprocal / asked.length, missed };
    }

    // Ground truth from the ledger itself: every published chunk of the collection.
    const db = new Database(join(dataDir, 'sluice.db'), { readonly: true });
    const chunks = db
      .prepare(
        `SELECT c.id, c.text, c.document_id AS doc FROM chunks c
          WHERE c.collection_id = ? AND c.id NOT IN (SELECT chunk_id FROM chunk_stage)`,
      )
      .all(collection.id);
    db.close();
    const recall = [];
    for (const word of words?.[lang] ?? []) {
      const holding = new Set(chunks.filter((c) => c.text.includes(word)).map((c) => c.id));
      const found = new Set(
        (await app.search(collection, { query: word, topK: 1000, mode: 'text' })).map((h) => h.chunkId),
      );
      const got = [...holding].filter((id) => found.has(id)).length;
      recall.push({ word, chunks: holding.size, found: got });
    }
    // Inflected forms: every chunk holding any form of a word, searched by its first form alone.
    const formRecall = [];
    for (const group of forms?.[lang] ?? []) {
      const any = new RegExp(`(?<![\\p{L}\\p{N}])(${group.join('|')})(?![\\p{L}\\p{N}])`, 'iu');
      const holding = new Set(chunks.filter((c) => any.test(c.text)).map((c) => c.id));
      const found = new Set(
        (await app.search(collection, { query: group[0], topK: 1000, mode: 'text' })).map((h) => h.chunkId),
      );
      formRecall.push({
        word: group[0],
        chunks: holding.size,
        found: [...holding].filter((id) => found.has(id)).length,
      });
    }

    // Chunk hygiene: a chunk is chrome when most of its lines are lines found on many of the pages.
    const pagesOfLine = new Map();
    for (const c of chunks) {
      for (const line of new Set(
        c.text
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
      )) {
        const pages = pagesOfLine.get(line) ?? new Set();
        pages.add(c.doc);
        pagesOfLine.set(line, pages);
      }
    }
    const documents = new Set(chunks.map((c) => c.doc)).size;
    const repeated = (line) => (pagesOfLine.get(line)?.size ?? 0) >= Math.max(3, documents * repeatedShare);
    const chrome = chunks.filter((c) => {
      const lines = c.text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      return lines.length > 0 && lines.filter(repeated).length / lines.length > 0.5;
    }).length;
    const withRepeated = chunks.filter((c) => c.text.split('\n').some((l) => repeated(l.trim()))).length;
    // A block is cut when no chunk holds the whole of it.
    const blocks = codeBlocksOf(files);
    const cutBlocks = blocks.filter((block) => !chunks.some((c) => c.text.includes(block))).length;
    const documentsNow = await app.store.listDocuments({ collectionId: collection.id, limit: 1000 });
    const detected = documentsNow.filter((d) => d.language === expectedLanguage(lang)).length;
    return {
      lang,
      documents: progress.filesTotal,
      completed: progress.byState.completed ?? 0,
      chunks: chunks.length,
      questions: asked.length,
      byMode,
      recall,
      formRecall,
      hygiene: { chromeChunks: chrome, chunksWithRepeatedLines: withRepeated, blocks: blocks.length, cutBlocks },
      language: { detected, of: documentsNow.length },
    };
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Every HTML language in one collection: each language's questions, hybrid, without a filter, with the
 * language's filter (pages left untranslated are detected as English, and left out), and with its folder.
 */
async function evaluateMixed(htmlLangs) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-eval-'));
  const app = await createApp(loadConfig(process.env, { dataDir, logLevel: 'silent' }));
  try {
    await app.startWorkers();
    const collection = await app.ensureCollection((await app.defaultTenant()).id, 'mixed');
    const batch = await app.store.createBatch(collection.id, 'mixed');
    const { files } = await expandPaths(
      htmlLangs.map((lang) => join(here, 'corpus', lang)),
      process.cwd(),
    );
    await app.submit({ collection, batch, files });
    await app.queue.idle();
    const rows = [];
    for (const lang of htmlLangs) {
      const asked = questions.filter((q) => q.lang === lang);
      const hitsWith = async (filter) => {
        let hits = 0;
        for (const q of asked) {
          const found = await app.search(collection, { query: q.question, topK: k, mode: 'hybrid', filter });
          hits += found.some((h) => h.source.includes(`/${lang}/`) && q.expected.includes(basename(h.source))) ? 1 : 0;
        }
        return hits / asked.length;
      };
      rows.push({
        lang,
        unfiltered: await hitsWith(undefined),
        filtered: await hitsWith({ languages: [expectedLanguage(lang)] }),
        byFolder: await hitsWith({ sourcePrefix: join(here, 'corpus', lang) + '/' }),
      });
    }
    return rows;
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results = [];
for (const lang of langs) {
  results.push(await evaluate(lang));
}
const mixed = args.includes('--mixed') ? await evaluateMixed(langs.filter((lang) => lang !== 'en-pdf')) : [];
const pct = (x) => `${(100 * x).toFixed(0)} %`.padStart(6);
modelServer?.kill();
const embedderName = model === undefined ? (process.env.SLUICE_EMBEDDER ?? 'hash') : `${model} (openai API, local)`;
console.log(`hit@${k} and MRR@${k} per language and mode (${embedderName} embedder)`);
console.log(
  `${'language'.padEnd(9)} ${'docs'.padStart(5)} ${'chunks'.padStart(6)} ${'qs'.padStart(3)}  ${modes.map((m) => `${m.padStart(7)} hit  MRR`).join('  ')}`,
);
for (const r of results) {
  console.log(
    `${r.lang.padEnd(9)} ${String(r.completed).padStart(5)} ${String(r.chunks).padStart(6)} ${String(r.questions).padStart(3)}  ${modes
      .map((m) => `${pct(r.byMode[m].hitAt5).padStart(11)} ${r.byMode[m].mrr.toFixed(2)}`)
      .join('  ')}`,
  );
}
for (const r of results) {
  for (const m of modes) {
    if (r.byMode[m].missed.length > 0) {
      console.log(`  ${r.lang} ${m} missed: ${r.byMode[m].missed.join(' ')}`);
    }
  }
}
for (const r of results.filter((x) => x.recall.length > 0)) {
  const held = r.recall.reduce((s, w) => s + w.chunks, 0);
  const found = r.recall.reduce((s, w) => s + w.found, 0);
  console.log(
    `word recall, ${r.lang}: ${found}/${held} chunks (${pct(held ? found / held : 1).trim()}): ${r.recall.map((w) => `${w.word} ${w.found}/${w.chunks}`).join(', ')}`,
  );
}
for (const r of results.filter((x) => x.formRecall.length > 0)) {
  const held = r.formRecall.reduce((s, w) => s + w.chunks, 0);
  const found = r.formRecall.reduce((s, w) => s + w.found, 0);
  console.log(
    `form recall, ${r.lang}: ${found}/${held} chunks holding any form of a word, searched by one (${pct(held ? found / held : 1).trim()}): ${r.formRecall.map((w) => `${w.word} ${w.found}/${w.chunks}`).join(', ')}`,
  );
}
for (const r of results) {
  console.log(
    `hygiene, ${r.lang}: ${r.hygiene.chromeChunks} of ${r.chunks} chunks mostly lines repeated on ≥ ${repeatedShare * 100} % of pages (${pct(r.hygiene.chromeChunks / r.chunks).trim()}); ${r.hygiene.chunksWithRepeatedLines} hold such a line`,
  );
}
for (const r of results) {
  console.log(
    `code blocks, ${r.lang}: ${r.hygiene.cutBlocks} of ${r.hygiene.blocks} <pre> blocks of at most ${blockChars} characters cut across chunks; language detected as ${expectedLanguage(r.lang)}: ${r.language.detected} of ${r.language.of} documents`,
  );
}
for (const r of mixed) {
  console.log(
    `mixed collection, ${r.lang} questions, hybrid hit@${k}: ${pct(r.unfiltered).trim()} without a filter, ${pct(r.filtered).trim()} with language=${expectedLanguage(r.lang)}, ${pct(r.byFolder).trim()} with the folder's source prefix`,
  );
}
