// A local stand-in for a hosted embedding API that enforces its rate limits as the real ones do: an
// OpenAI-compatible `POST /v1/embeddings` counting requests and input tokens (cl100k) in a sliding 60 s
// window from when each request arrives, answering 429 with `retry-after` (seconds until enough of
// the window has aged out) and OpenAI's error body when one would go over, and taking 200–800 ms to
// answer the others. What it accepted and refused is counted for the bench.
import { createServer } from 'node:http';

const windowMs = 60_000;

/**
 * @param {{ tokensPerMinute: number, requestsPerMinute: number, minMs?: number, maxMs?: number,
 *   dimension: number, countTokens: (text: string) => number }} options
 */
export async function startRateLimitedProvider(options) {
  const { tokensPerMinute, requestsPerMinute, minMs = 200, maxMs = 800, dimension, countTokens } = options;
  /** Accepted requests in the window, oldest first. */
  const accepted = [];
  const stats = { calls: 0, limited: 0, tokens: 0, firstAt: undefined, lastAt: undefined };
  const vector = Array.from({ length: dimension }, (_, i) => (i === 0 ? 1 : 0));

  const server = createServer((req, res) => {
    const parts = [];
    req.on('data', (part) => parts.push(part));
    req.on('end', () => {
      const t = Date.now();
      let inputs;
      try {
        const { input } = JSON.parse(Buffer.concat(parts).toString());
        inputs = Array.isArray(input) ? input : [input];
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'invalid JSON', type: 'invalid_request_error' } }));
        return;
      }
      const tokens = inputs.reduce((sum, text) => sum + countTokens(String(text)), 0);
      while (accepted.length > 0 && accepted[0].at <= t - windowMs) {
        accepted.shift();
      }
      const used = accepted.reduce((sum, a) => sum + a.tokens, 0);
      stats.calls++;
      const overTokens = tokensPerMinute > 0 && used + tokens > tokensPerMinute;
      const overRequests = requestsPerMinute > 0 && accepted.length + 1 > requestsPerMinute;
      if (overTokens || overRequests) {
        // When enough of the window has aged out for this request.
        let freeAt = t;
        let freed = 0;
        for (const [i, a] of accepted.entries()) {
          freed += a.tokens;
          const tokensFit = !overTokens || used - freed + tokens <= tokensPerMinute;
          const requestsFit = !overRequests || accepted.length - (i + 1) + 1 <= requestsPerMinute;
          if (tokensFit && requestsFit) {
            freeAt = a.at + windowMs;
            break;
          }
        }
        stats.limited++;
        res.writeHead(429, {
          'content-type': 'application/json',
          'retry-after': String(Math.max(1, Math.ceil((freeAt - t) / 1000))),
          'x-ratelimit-limit-tokens': String(tokensPerMinute),
          'x-ratelimit-remaining-tokens': String(Math.max(0, tokensPerMinute - used)),
        });
        res.end(
          JSON.stringify({
            error: {
              message: `Rate limit reached on tokens per min (TPM): Limit ${tokensPerMinute}, Used ${used}, Requested ${tokens}.`,
              type: overTokens ? 'tokens' : 'requests',
              code: 'rate_limit_exceeded',
            },
          }),
        );
        return;
      }
      accepted.push({ at: t, tokens });
      stats.tokens += tokens;
      stats.firstAt ??= t;
      stats.lastAt = t;
      setTimeout(
        () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              object: 'list',
              model: 'text-embedding-3-small',
              data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: vector })),
              usage: { prompt_tokens: tokens, total_tokens: tokens },
            }),
          );
        },
        minMs + Math.random() * (maxMs - minMs),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    stats,
    reset() {
      accepted.length = 0;
      Object.assign(stats, { calls: 0, limited: 0, tokens: 0, firstAt: undefined, lastAt: undefined });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
