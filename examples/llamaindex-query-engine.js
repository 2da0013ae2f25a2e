// A LlamaIndex.TS query engine over Sluice: two notes are uploaded to a collection (Sluice chunks and
// embeds them on the server), then a RetrieverQueryEngine retrieves from Sluice with SluiceRetriever
// and has an LLM answer from the nodes. Run against `sluice serve`:
//   SLUICE_URL=http://127.0.0.1:8080 SLUICE_API_KEY=sk_… node examples/llamaindex-query-engine.js
import { BaseLLM } from '@llamaindex/core/llms';
import { RetrieverQueryEngine } from '@llamaindex/core/query-engine';
import { getResponseSynthesizer } from '@llamaindex/core/response-synthesizers';
import { extractText } from '@llamaindex/core/utils';
import { SluiceClient } from '@sluice/client';
import { SluiceRetriever } from '@sluice/llamaindex';

const { SLUICE_URL = 'http://127.0.0.1:8080', SLUICE_API_KEY } = process.env;

/**
 * A stand-in for a hosted LLM, which this example does not call: it answers with the sentence of the
 * prompt's context that shares the most words with the query. Put OpenAI (or any LLM) here.
 */
class ExtractiveStandInLLM extends BaseLLM {
  metadata = {
    model: 'extractive-stand-in',
    temperature: 0,
    topP: 1,
    contextWindow: 4096,
    tokenizer: undefined,
    structuredOutput: false,
  };

  async chat({ messages, stream }) {
    const prompt = extractText(messages.at(-1)?.content ?? '');
    const [, context = '', query = ''] = /-{5,}\n([\s\S]*)\n-{5,}[\s\S]*Query: (.*)/.exec(prompt) ?? [];
    const words = (text) => new Set(text.toLowerCase().match(/[a-z0-9:]{3,}/g) ?? []);
    const asked = words(query);
    const sentences = context.split(/(?<=[.!?])\s+|\n+/).filter((s) => s.trim() !== '');
    const overlap = (sentence) => [...words(sentence)].filter((w) => asked.has(w)).length;
    const answer =
      sentences.reduce((a, b) => (overlap(b) > overlap(a) ? b : a), '').trim() || 'The context does not say.';
    if (stream) {
      return (async function* () {
        yield { delta: answer, raw: null };
      })();
    }
    return { message: { role: 'assistant', content: answer }, raw: null };
  }
}

const client = new SluiceClient({ baseUrl: SLUICE_URL, apiKey: SLUICE_API_KEY });
const collection = await client.collections.create({ name: 'llamaindex-example' });
// The same files again are skipped as duplicates: running the example twice indexes nothing twice.
const upload = await client.documents.upload(
  collection.id,
  [
    {
      name: 'harbour-guide.md',
      data: 'The harbour ferry leaves pier 3 every hour. The last ferry of the day sails at 23:40.',
    },
    {
      name: 'museum-guide.md',
      data: 'The maritime museum opens at 10:00 and closes at 17:00. Entry is free on Sundays.',
    },
  ],
  { wait: 30 },
);
if (!upload.batch.finished) {
  await client.waitForBatch(upload.batch.id);
}

const retriever = new SluiceRetriever({ client, collection: 'llamaindex-example', similarityTopK: 2 });
const engine = new RetrieverQueryEngine(
  retriever,
  getResponseSynthesizer('compact', { llm: new ExtractiveStandInLLM() }),
);

const query = 'When does the last ferry sail?';
const response = await engine.query({ query });
console.log('Retrieved from Sluice:');
for (const { node, score } of response.sourceNodes ?? []) {
  const { source, document_id: documentId, chunk_index: chunkIndex } = node.metadata;
  console.log(`  ${source} (document ${documentId}, chunk ${chunkIndex}, score ${score?.toFixed(4)})`);
}
console.log(`Query: ${query}`);
console.log(`Answer: ${response.message.content}`);
