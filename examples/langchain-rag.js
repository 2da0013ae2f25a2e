// Retrieval-augmented answering with LangChain.js over Sluice: SluiceVectorStore ingests two notes
// (Sluice chunks and embeds them on the server), then an LCEL chain retrieves from Sluice, puts the
// documents into a prompt and has a chat model answer. Run against `sluice serve`:
//   SLUICE_URL=http://127.0.0.1:8080 SLUICE_API_KEY=sk_… node examples/langchain-rag.js
import { Document } from '@langchain/core/documents';
import { SimpleChatModel } from '@langchain/core/language_models/chat_models';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { SluiceVectorStore } from '@sluice/langchain';

const { SLUICE_URL = 'http://127.0.0.1:8080', SLUICE_API_KEY } = process.env;

/**
 * A stand-in for a hosted chat model, which this example does not call: it answers with the sentence
 * of the context that shares the most words with the question. Put ChatOpenAI (or any chat model) here.
 */
class ExtractiveStandInChatModel extends SimpleChatModel {
  _llmType() {
    return 'extractive-stand-in';
  }

  async _call(messages) {
    const prompt = String(messages.at(-1)?.content ?? '');
    const [, context = '', question = ''] = /Context:\n([\s\S]*)\n\nQuestion: (.*)/.exec(prompt) ?? [];
    const words = (text) => new Set(text.toLowerCase().match(/[a-z0-9:]{3,}/g) ?? []);
    const asked = words(question);
    const sentences = context.split(/(?<=[.!?])\s+|\n+/).filter((s) => s.trim() !== '');
    const overlap = (sentence) => [...words(sentence)].filter((w) => asked.has(w)).length;
    const best = sentences.reduce((a, b) => (overlap(b) > overlap(a) ? b : a), '');
    return best.trim() || 'The context does not say.';
  }
}

const store = new SluiceVectorStore({ baseUrl: SLUICE_URL, apiKey: SLUICE_API_KEY, collection: 'langchain-example' });
// Ids name the documents: run again, the example finds them unchanged (skipped as duplicates), not copied.
await store.addDocuments(
  [
    new Document({
      pageContent: 'The harbour ferry leaves pier 3 every hour. The last ferry of the day sails at 23:40.',
      metadata: { source: 'harbour-guide.md', topic: 'ferries' },
    }),
    new Document({
      pageContent: 'The maritime museum opens at 10:00 and closes at 17:00. Entry is free on Sundays.',
      metadata: { source: 'museum-guide.md', topic: 'museum' },
    }),
  ],
  { ids: ['harbour-guide', 'museum-guide'] },
);

const retriever = store.asRetriever({ k: 2 });
const prompt = ChatPromptTemplate.fromMessages([
  ['system', 'Answer the question from the context alone.'],
  ['human', 'Context:\n{context}\n\nQuestion: {question}'],
]);
const answer = RunnableSequence.from([
  ({ documents, question }) => ({ context: documents.map((d) => d.pageContent).join('\n'), question }),
  prompt,
  new ExtractiveStandInChatModel({}),
  new StringOutputParser(),
]);
// Retrieve first and keep the documents, so that the answer comes with its sources.
const chain = RunnablePassthrough.assign({ documents: ({ question }) => retriever.invoke(question) }).assign({
  answer,
});

const question = 'When does the last ferry sail?';
const result = await chain.invoke({ question });
console.log('Retrieved from Sluice:');
for (const doc of result.documents) {
  const { source, documentId, chunkIndex, score } = doc.metadata;
  console.log(`  ${source} (document ${documentId}, chunk ${chunkIndex}, score ${score.toFixed(4)})`);
}
console.log(`Question: ${question}`);
console.log(`Answer: ${result.answer}`);
