// One peer pipeline over the corpus, in its own process: parse with Sluice's own parsers (the same
// text for everyone), split 500/50 cl100k tokens with the peer's splitter, embed with Sluice's `hash`
// embedder (384 dimensions, batches of 100) wrapped as the peer's embedding class, and keep the vectors
// in the in-memory vector store the peer ships. Prints one JSON line like bench/measure.js.
//   node bench/peers/run-peer.js langchain|llamaindex <path>...
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../dist/app/config.js';
import { createHashEmbedder } from '../../dist/embedders/hash-embedder.js';
import { createDocumentParser } from '../../dist/parsers/create-document-parser.js';
import { expandPaths } from '../../dist/services/expand-paths.js';

const [peer, ...paths] = process.argv.slice(2);
const { files } = await expandPaths(paths, process.cwd());
const bytes = files.reduce((sum, f) => sum + f.sizeBytes, 0);
const config = loadConfig(process.env, { logLevel: 'silent' });
const parser = createDocumentParser({ maxFileBytes: config.maxFileBytes, parseTimeoutMs: config.parseTimeoutMs });
const hash = createHashEmbedder({ dimension: config.embedDimension });
const batchSize = config.embedBatchSize;

/** Embeds in batches of `batchSize`, as Sluice does, returning plain arrays (what both peers store). */
async function embedAll(texts) {
  const out = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    for (const vector of await hash.embed(texts.slice(i, i + batchSize))) {
      out.push(Array.from(vector));
    }
  }
  return out;
}

async function langchain() {
  const { RecursiveCharacterTextSplitter } = await import('@langchain/textsplitters');
  const { Embeddings } = await import('@langchain/core/embeddings');
  const { MemoryVectorStore } = await import('@langchain/classic/vectorstores/memory');
  const { getEncoding } = await import('js-tiktoken');
  class HashEmbeddings extends Embeddings {
    embedDocuments(texts) {
      return embedAll(texts);
    }
    async embedQuery(text) {
      return (await embedAll([text]))[0];
    }
  }
  // What `RecursiveCharacterTextSplitter.fromTiktoken` builds, with the encoding js-tiktoken bundles
  // (fromTiktoken fetches it from a CDN, which this machine cannot reach).
  const encoding = getEncoding('cl100k_base');
  const splitter = new RecursiveCharacterTextSplitter({
    chunkSize: 500,
    chunkOverlap: 50,
    lengthFunction: (text) => encoding.encode(text, [], []).length,
  });
  const store = new MemoryVectorStore(new HashEmbeddings({}));
  return run(async (text, source) => {
    const docs = await splitter.createDocuments([text], [{ source }]);
    await store.addDocuments(docs);
    return docs.length;
  });
}

async function llamaindex() {
  const { Document, IngestionPipeline, SentenceSplitter, SimpleVectorStore, BaseEmbedding } =
    await import('llamaindex');
  class HashEmbedding extends BaseEmbedding {
    async getTextEmbedding(text) {
      return (await embedAll([text]))[0];
    }
    getTextEmbeddings = (texts) => embedAll(texts);
  }
  const embedModel = new HashEmbedding();
  embedModel.embedBatchSize = batchSize;
  const vectorStore = new SimpleVectorStore({ embedModel });
  const pipeline = new IngestionPipeline({
    transformations: [new SentenceSplitter({ chunkSize: 500, chunkOverlap: 50 }), embedModel],
    vectorStore,
  });
  return run(async (text, source) => {
    const nodes = await pipeline.run({ documents: [new Document({ text, id_: source, metadata: { source } })] });
    return nodes.length;
  });
}

/** Files one after another, as a script would: read, parse, then the peer's split/embed/store. */
async function run(ingest) {
  const started = performance.now();
  let chunks = 0;
  let completed = 0;
  let failed = 0;
  for (const file of files) {
    try {
      const parsed = await parser.parse({ bytes: await readFile(file.path), source: file.path });
      chunks += await ingest(parsed.text, file.path);
      completed++;
    } catch (error) {
      if (process.env.BENCH_VERBOSE) {
        console.error(file.path, error);
      }
      failed++;
    }
  }
  return { ms: performance.now() - started, chunks, completed, failed };
}

const result = peer === 'langchain' ? await langchain() : await llamaindex();
process.stdout.write(
  `${JSON.stringify({ mode: peer, files: files.length, bytes, ...result, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
