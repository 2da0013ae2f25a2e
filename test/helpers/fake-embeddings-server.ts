import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHashEmbedder } from '../../src/embedders/hash-embedder.js';

/** What the fake answers to one call. */
export type FakeAnswer =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; headers?: Record<string, string>; error?: string }
  | { kind: 'drop' }
  | { kind: 'slow'; ms: number }
  | { kind: 'dimension'; dimension: number };

export interface FakeCall {
  at: number;
  inputs: string[];
  model: string;
  authorization: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  answer: FakeAnswer['kind'];
}

/**
 * A local HTTP server speaking OpenAI's `POST /v1/embeddings`, standing in for a hosted API that tests
 * cannot reach. It answers real vectors (the hash embedder's) and misbehaves as told per call: 429
 * with Retry-After, 5xx, slow answers, dropped connections, vectors of the wrong size.
 */
export async function startFakeEmbeddingsServer(
  dimension: number,
  script: (
    call: number,
    inputs: string[],
    headers: Record<string, string | string[] | undefined>,
  ) => FakeAnswer = () => ({ kind: 'ok' }),
): Promise<{ url: string; calls: FakeCall[]; close(): Promise<void> }> {
  const calls: FakeCall[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      void (async () => {
        if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
          res
            .writeHead(404, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: { message: 'not found' } }));
          return;
        }
        const parsed = JSON.parse(body) as { input: string[]; model: string };
        const answer = script(calls.length + 1, parsed.input, req.headers);
        calls.push({
          at: Date.now(),
          inputs: parsed.input,
          model: parsed.model,
          authorization: req.headers.authorization,
          headers: req.headers,
          answer: answer.kind,
        });
        if (answer.kind === 'drop') {
          req.socket.destroy();
          return;
        }
        if (answer.kind === 'status') {
          res
            .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
            .end(JSON.stringify({ error: { message: answer.error ?? `status ${answer.status}`, type: 'fake' } }));
          return;
        }
        if (answer.kind === 'slow') {
          await new Promise((resolve) => setTimeout(resolve, answer.ms));
        }
        const size = answer.kind === 'dimension' ? answer.dimension : dimension;
        const vectors = await createHashEmbedder({ dimension: size }).embed(parsed.input);
        const data = vectors.map((v, index) => ({ object: 'embedding', index, embedding: [...v] }));
        // Out of order on purpose: clients must sort by index, as the API allows.
        data.reverse();
        if (!res.destroyed) {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ object: 'list', data, model: parsed.model }));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The environment that points Sluice's OpenAI-compatible embedder at a fake server of `dimension`. */
export function fakeEmbedderEnv(url: string, dimension: number): Record<string, string> {
  return { SLUICE_EMBEDDER: 'openai', SLUICE_OPENAI_BASE_URL: url, SLUICE_EMBED_DIMENSION: String(dimension) };
}
