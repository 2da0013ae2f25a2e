// LangChain.js's OpenAIEmbeddings with its defaults (maxConcurrency, maxRetries, batch size) against
// an OpenAI-compatible endpoint, over the texts of a JSON file: what a LangChain.js user's ingest
// spends on embedding. For bench/embed-rate.js.
//   node bench/peers/embed-peer.js <base url> <texts.json> <dimensions>
import { readFileSync } from 'node:fs';
import { OpenAIEmbeddings } from '@langchain/openai';

const [baseURL, file, dimensions] = process.argv.slice(2);
const texts = JSON.parse(readFileSync(file, 'utf8'));
const embeddings = new OpenAIEmbeddings({
  model: 'text-embedding-3-small',
  apiKey: 'sk-bench',
  dimensions: Number(dimensions),
  configuration: { baseURL },
});
const vectors = await embeddings.embedDocuments(texts);
console.log(JSON.stringify({ vectors: vectors.length }));
